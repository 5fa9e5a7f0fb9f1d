// Anchored at the end, so that a text quoted earlier in the message cannot fake a position.
const V8_POSITION = /^(.*?)(?: in JSON)? at position (\d+)(?: \(line \d+ column \d+\))?$/;

/**
 * Where V8's JSON.parse stopped, from its error message: the description before "[in JSON] at position N"
 * and N, a UTF-16 index into the parsed text. Undefined when the message gives no position (some forms,
 * `Unexpected token 'x', "...text..." is not valid JSON`, quote the input instead).
 */
export function jsonErrorPosition(message: string): { description: string; index: number } | undefined {
  const at = V8_POSITION.exec(message);
  return at ? { description: at[1]!, index: Number(at[2]) } : undefined;
}
