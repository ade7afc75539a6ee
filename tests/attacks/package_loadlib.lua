-- attack: no package, no native code
-- expect: runtime
package.loadlib("libc.so.6", "system")("echo ESCAPED")
