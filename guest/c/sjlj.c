/*
 * The runtime that clang's setjmp/longjmp lowering calls into
 * (-mllvm -wasm-enable-sjlj, standard exception handling).
 *
 * setjmp records, in the caller's jmp_buf, which function invocation armed it
 * and under which label; longjmp throws the `__c_longjmp` tag with a pointer
 * to {env, val}; the catch site the compiler generated asks
 * __wasm_setjmp_test whether the jmp_buf belongs to it and, if so, which
 * label to resume at. Lua's error handling (luaD_throw) is built on this.
 */
#include <setjmp.h>
#include <stdint.h>

#if __clang_major__ >= 22
/* clang-22 no longer emits the tag itself; older clangs do. */
__asm__(".globl __c_longjmp\n"
        ".tagtype __c_longjmp i32\n"
        "__c_longjmp:\n");
#endif

/* What the generated catch site reads: env at offset 0, val at offset 4. */
struct longjmp_payload {
    void *env;
    int val;
};

/* Layout of jmp_buf as this runtime uses it. */
struct jmp_record {
    void *invocation_id;
    uint32_t label;
    struct longjmp_payload payload;
};

_Static_assert(sizeof(struct jmp_record) <= sizeof(jmp_buf),
               "jmp_buf too small for the sjlj runtime");

void __wasm_setjmp(void *env, uint32_t label, void *invocation_id) {
    struct jmp_record *record = env;
    record->invocation_id = invocation_id;
    record->label = label;
}

uint32_t __wasm_setjmp_test(void *env, void *invocation_id) {
    struct jmp_record *record = env;
    return record->invocation_id == invocation_id ? record->label : 0;
}

void __wasm_longjmp(void *env, int val) {
    struct jmp_record *record = env;
    record->payload.env = env;
    record->payload.val = val != 0 ? val : 1;
    /* Tag 1 is LLVM's C longjmp tag (__c_longjmp). */
    __builtin_wasm_throw(1, &record->payload);
}
