import { Document, isPair, isScalar, isSeq, Scalar, visit } from "yaml";

/** Scalars that read the same in a flow list without quotes. */
const PLAIN_IN_FLOW = /^[A-Za-z0-9_./:@=+-][A-Za-z0-9_./:@=+ -]*$/;

/**
 * YAML as people write compose files: short lists of plain scalars on one
 * line (`test: [CMD, pg_isready]`), and port mappings quoted, since YAML 1.1
 * readers take `22:22` for a base-60 number.
 */
export function toYaml(value: unknown): string {
  const doc = new Document(value);
  visit(doc, {
    Pair(_, pair) {
      if (isPair(pair) && isScalar(pair.key) && pair.key.value === "ports" && isSeq(pair.value)) {
        for (const item of pair.value.items) if (isScalar(item)) item.type = Scalar.QUOTE_SINGLE;
      }
    },
    Seq(_, node) {
      const plain = node.items.every(
        (item) => isScalar(item) && item.type !== Scalar.QUOTE_SINGLE && PLAIN_IN_FLOW.test(String(item.value)),
      );
      if (plain && JSON.stringify(node.toJSON()).length <= 100) node.flow = true;
    },
  });
  return doc.toString({ lineWidth: 0 });
}
