;; CRC-64/Jones as Redis checksums a DUMP payload (reflected, polynomial 0xad93d23594c935a9, init 0, no final
;; xor), computed in place: `append(p, n)` stores the checksum of memory[p, p + n) as 8 little-endian bytes at
;; p + n. The host writes the slice-by-8 tables at the start of the memory before the first call: table k at
;; byte k * 2048, 256 little-endian u64 each, table 0 the byte-wise one (see crc-arena.ts).
;;
;; The compiled bytes live in dump-crc64-wasm.ts; `node scripts/build-wasm.ts` rebuilds them from this file.
(module
  (import "env" "memory" (memory 1))
  (func (export "append") (param $p i32) (param $n i32)
    (local $crc i64)
    (local $end i32)
    (local.set $end (i32.add (local.get $p) (local.get $n)))
    ;; Eight bytes a step: xor them into the register, then one lookup per byte, byte i in table 7 - i.
    (block $words
      (loop $word
        (br_if $words (i32.lt_u (i32.sub (local.get $end) (local.get $p)) (i32.const 8)))
        (local.set $crc (i64.xor (local.get $crc) (i64.load (local.get $p))))
        (local.set $crc
          (i64.xor
            (i64.xor
              (i64.xor
                (i64.load offset=14336 (i32.shl (i32.wrap_i64 (i64.and (local.get $crc) (i64.const 255))) (i32.const 3)))
                (i64.load offset=12288 (i32.shl (i32.wrap_i64 (i64.and (i64.shr_u (local.get $crc) (i64.const 8)) (i64.const 255))) (i32.const 3))))
              (i64.xor
                (i64.load offset=10240 (i32.shl (i32.wrap_i64 (i64.and (i64.shr_u (local.get $crc) (i64.const 16)) (i64.const 255))) (i32.const 3)))
                (i64.load offset=8192 (i32.shl (i32.wrap_i64 (i64.and (i64.shr_u (local.get $crc) (i64.const 24)) (i64.const 255))) (i32.const 3)))))
            (i64.xor
              (i64.xor
                (i64.load offset=6144 (i32.shl (i32.wrap_i64 (i64.and (i64.shr_u (local.get $crc) (i64.const 32)) (i64.const 255))) (i32.const 3)))
                (i64.load offset=4096 (i32.shl (i32.wrap_i64 (i64.and (i64.shr_u (local.get $crc) (i64.const 40)) (i64.const 255))) (i32.const 3))))
              (i64.xor
                (i64.load offset=2048 (i32.shl (i32.wrap_i64 (i64.and (i64.shr_u (local.get $crc) (i64.const 48)) (i64.const 255))) (i32.const 3)))
                (i64.load (i32.shl (i32.wrap_i64 (i64.shr_u (local.get $crc) (i64.const 56))) (i32.const 3)))))))
        (local.set $p (i32.add (local.get $p) (i32.const 8)))
        (br $word)))
    ;; The last bytes one by one.
    (block $bytes
      (loop $byte
        (br_if $bytes (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $crc
          (i64.xor
            (i64.load (i32.shl (i32.wrap_i64 (i64.and (i64.xor (local.get $crc) (i64.load8_u (local.get $p))) (i64.const 255))) (i32.const 3)))
            (i64.shr_u (local.get $crc) (i64.const 8))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $byte)))
    (i64.store (local.get $end) (local.get $crc))))
