// snappyjs ships no types; only the block-format functions Kansoku uses are declared.
declare module 'snappyjs' {
  export function uncompress(input: Uint8Array, maxLength?: number): Uint8Array;
  export function compress(input: Uint8Array): Uint8Array;
}
