import { isAlias, isMap, isNode, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import { pointerSegments, type ConfigProblem } from './problem.ts';

/** A place in the file, 1-based as editors and GitHub's annotations count. */
export interface Position {
  readonly line: number;
  readonly column: number;
}

/**
 * Where a problem is in the YAML document: the node the JSON pointer leads to (through aliases),
 * its key for an unknown key, or the key that opens the object for a missing one. A pointer
 * that leads nowhere (it cannot, for values parsed from this document) stops at the nearest node.
 */
export function positionOf(
  doc: Document,
  lineCounter: LineCounter,
  problem: Pick<ConfigProblem, 'pointer' | 'at'>,
): Position {
  let node: unknown = doc.contents;
  let key: Node | undefined;
  for (const segment of pointerSegments(problem.pointer)) {
    const container = isAlias(node) ? node.resolve(doc) : node;
    if (isMap(container)) {
      const pair = container.items.find((item) => isScalar(item.key) && String(item.key.value) === segment);
      if (pair === undefined) break;
      key = isNode(pair.key) ? pair.key : undefined;
      node = pair.value;
    } else if (isSeq(container)) {
      const item: unknown = container.items[Number(segment)];
      if (item === undefined) break;
      key = undefined;
      node = item;
    } else break;
  }
  const valueNode = isNode(node) && !isEmptyScalar(node) ? node : undefined;
  const chosen = problem.at === 'value' ? (valueNode ?? key) : (key ?? valueNode);
  const offset = chosen?.range?.[0] ?? 0;
  const { line, col } = lineCounter.linePos(offset);
  return { line, column: col };
}

/** `key:` with nothing after it: a null with no text of its own, best shown at its key. */
function isEmptyScalar(node: Node): boolean {
  return isScalar(node) && node.value === null && node.range?.[0] === node.range?.[1];
}
