/** The CRC-64/Jones of `bytes` bit by bit, as the definition reads: the reference the fast forms are checked against. */
export function bitwiseCrc64(bytes: Uint8Array): bigint {
  let crc = 0n;
  for (const byte of bytes) {
    crc ^= BigInt(byte);
    for (let k = 0; k < 8; k++) crc = crc & 1n ? (crc >> 1n) ^ 0x95ac9329ac4bc9b5n : crc >> 1n;
  }
  return crc;
}
