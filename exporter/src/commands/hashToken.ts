import { hashToken } from '../auth/apiTokens';
import { UsageError } from './args';

export const HASH_TOKEN_USAGE = `Usage: tokenledger hash-token < token.txt
  Prints the SHA-256 of an API token (read from standard input, trailing newline ignored), for the sha256:
  key of auth.tokens in the config. Only the hash is ever stored.`;

export async function runHashToken(argv: string[]): Promise<number> {
  if (argv.length)
    throw new UsageError(
      'reads the token from standard input; takes no arguments (a token on the command line would land in shell history)'
    );
  let input = '';
  for await (const chunk of process.stdin) input += String(chunk);
  const token = input.replace(/\r?\n$/, '');
  if (token.length < 16) throw new UsageError('a token should be at least 16 characters (e.g. openssl rand -hex 32)');
  process.stdout.write(`${hashToken(token)}\n`);
  return 0;
}
