/*
 * setjmp/longjmp for the luabox guest.
 *
 * Neither Debian's wasi-libc nor Rust's wasm targets ship <setjmp.h>. clang
 * (with -mllvm -wasm-enable-sjlj) rewrites calls to setjmp/longjmp into wasm
 * exception handling and calls the runtime in sjlj.c; this header only has
 * to declare the functions and give jmp_buf its size.
 */
#ifndef LUABOX_SETJMP_H
#define LUABOX_SETJMP_H

typedef struct {
    /* sjlj.c keeps its bookkeeping here; 64 bytes leaves room to spare. */
    unsigned long long opaque[8];
} jmp_buf[1];

int setjmp(jmp_buf env) __attribute__((returns_twice));
_Noreturn void longjmp(jmp_buf env, int val);

/* Lua's POSIX configuration uses the underscore forms. */
#define _setjmp setjmp
#define _longjmp longjmp

#endif
