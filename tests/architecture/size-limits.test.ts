import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * The size limits of the sources (`packages/<name>/src/**`.ts/.tsx): no function, method or
 * arrow over 80 lines, and no file over 250 lines unless its first comment block has a line
 * starting `Why this file is long:` that says why. Measured with the TypeScript compiler's own
 * parser, so a function is what the language says it is.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
const FUNCTION_LINES = 80;
const FILE_LINES = 250;
const WHY_LONG = 'Why this file is long:';

/** Generated from the OpenAPI document by openapi-typescript, never edited by hand. */
const GENERATED = new Set([
  'packages/web/src/api/schema.gen.ts',
  'packages/cli/src/api/schema.gen.ts',
]);

/**
 * Offenders when this check was introduced, to be split (or, for files, explained) and then
 * removed from here: the check fails on any offender not listed and on any listed entry that
 * no longer offends, so this list only shrinks. Keys are `path name`.
 */
const KNOWN_LONG_FUNCTIONS: string[] = [];
const KNOWN_LONG_FILES: string[] = [];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

function allSources(): string[] {
  const packages = join(root, 'packages');
  return readdirSync(packages, { withFileTypes: true })
    .filter((p) => p.isDirectory())
    .flatMap((p) => {
      try {
        return sourceFiles(join(packages, p.name, 'src'));
      } catch {
        return [];
      }
    })
    .map((path) => relative(root, path).replaceAll('\\', '/'))
    .filter((path) => !GENERATED.has(path))
    .sort();
}

function parse(path: string, text = readFileSync(join(root, path), 'utf8')): ts.SourceFile {
  const kind = path.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
  return ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true, kind);
}

function nameOf(node: ts.Node, file: ts.SourceFile): string {
  const named = node as { name?: ts.Node };
  if (named.name) return named.name.getText(file);
  // An arrow or function expression takes the name of what it is assigned to.
  const parent = node.parent;
  if (parent && (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent)))
    return parent.name.getText(file);
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  return '(anonymous)';
}

/** Every function-like node over the limit: `path:line name (n lines)`. */
function longFunctions(path: string, text?: string, limit = FUNCTION_LINES): string[] {
  const file = parse(path, text);
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body !== undefined) {
      const start = file.getLineAndCharacterOfPosition(node.getStart(file)).line;
      const end = file.getLineAndCharacterOfPosition(node.getEnd()).line;
      const lines = end - start + 1;
      if (lines > limit) found.push(`${path}:${start + 1} ${nameOf(node, file)} (${lines} lines)`);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

/** The text of the file's first comment block: one block comment, or consecutive `//` lines. */
function firstCommentBlock(text: string): string {
  const scanner = ts.createScanner(ts.ScriptTarget.Latest, false, ts.LanguageVariant.JSX, text);
  const lines: string[] = [];
  let lastLine = -1;
  for (let token = scanner.scan(); token !== ts.SyntaxKind.EndOfFileToken; token = scanner.scan()) {
    if (token === ts.SyntaxKind.MultiLineCommentTrivia) {
      if (lines.length > 0) break;
      return scanner.getTokenText();
    }
    if (token === ts.SyntaxKind.SingleLineCommentTrivia) {
      const line = text.slice(0, scanner.getTokenStart()).split('\n').length;
      if (lines.length > 0 && line !== lastLine + 1) break;
      lines.push(scanner.getTokenText());
      lastLine = line;
      continue;
    }
    const trivia =
      token === ts.SyntaxKind.WhitespaceTrivia || token === ts.SyntaxKind.NewLineTrivia;
    if (!trivia && lines.length > 0) break;
  }
  return lines.join('\n');
}

/** Whether a comment block has a line starting with the convention's words. */
function saysWhyLong(comment: string): boolean {
  return comment
    .split('\n')
    .some((line) => line.replace(/^\s*(\/\*\*?|\*|\/\/)?\s*/, '').startsWith(WHY_LONG));
}

/** Files over the limit whose first comment block does not say why. */
function unexplainedLongFile(path: string, limit = FILE_LINES): string | undefined {
  const text = readFileSync(join(root, path), 'utf8');
  const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
  if (lines <= limit || saysWhyLong(firstCommentBlock(text))) return undefined;
  return `${path} (${lines} lines)`;
}

describe('size limits of the sources', () => {
  const files = allSources();

  it('finds the sources of every package', () => {
    for (const pkg of ['auth', 'api', 'idp', 'web', 'cli'])
      expect(files.some((f) => f.startsWith(`packages/${pkg}/src/`))).toBe(true);
  });

  it(`has no function, method or arrow over ${FUNCTION_LINES} lines but the known ones`, {
    timeout: 60_000,
  }, () => {
    // `path:line name (n lines)` → `path name`: lines move with every edit, names do not.
    const found = files.flatMap((f) => longFunctions(f));
    const keys = found.map((f) => f.replace(/:\d+ (.*) \(\d+ lines\)$/, ' $1'));
    expect(keys.sort(), found.join('\n')).toEqual([...KNOWN_LONG_FUNCTIONS].sort());
  });

  it(`has no file over ${FILE_LINES} lines without "${WHY_LONG}" but the known ones`, () => {
    const found = files.flatMap((f) => unexplainedLongFile(f) ?? []);
    expect(found.map((f) => f.replace(/ \(\d+ lines\)$/, '')).sort(), found.join('\n')).toEqual(
      [...KNOWN_LONG_FILES].sort(),
    );
  });
});

describe('the size checks themselves', () => {
  it('measures functions, methods and arrows from their first to their last line', () => {
    const body = (n: number) => Array.from({ length: n - 2 }, (_, i) => `  f(${i});`).join('\n');
    const text = [
      `function ok() {\n${body(80)}\n}`,
      `function tooLong() {\n${body(81)}\n}`,
      `class C {\n  method() {\n${body(81)}\n  }\n}`,
      `const arrow = () => {\n${body(81)}\n};`,
    ].join('\n');
    expect(longFunctions('x.ts', text).map((f) => f.replace(/^x\.ts:\d+ /, ''))).toEqual([
      'tooLong (81 lines)',
      'method (81 lines)',
      'arrow (81 lines)',
    ]);
  });

  it('recognises the convention in a block comment and in // lines, not further down', () => {
    expect(
      saysWhyLong(firstCommentBlock(`/**\n * ${WHY_LONG} one table.\n */\nconst a = 1;`)),
    ).toBe(true);
    expect(
      saysWhyLong(firstCommentBlock(`import x from 'x';\n// ${WHY_LONG} one table.\n// more\n`)),
    ).toBe(true);
    expect(saysWhyLong(firstCommentBlock(`// header\n\n// ${WHY_LONG} too late\n`))).toBe(false);
    expect(saysWhyLong(firstCommentBlock(`/** header */\n/** ${WHY_LONG} too late */`))).toBe(
      false,
    );
    expect(saysWhyLong(firstCommentBlock(`const s = '// ${WHY_LONG}';`))).toBe(false);
  });
});
