/**
 * A TypeScript type as it reads in JSON: enums become the literals they stand for (`ThresholdsMode.Absolute`
 * is `"absolute"`, `VariableRefresh.onTimeRangeChanged` is `2`), so a dashboard file can be checked against
 * @grafana/schema's generated types without importing the enums.
 */
export type Jsonify<T> = T extends string
  ? `${T}`
  : T extends number
    ? `${T}` extends `${infer N extends number}`
      ? N
      : number
    : T extends boolean | null | undefined
      ? T
      : T extends ReadonlyArray<infer E>
        ? Array<Jsonify<E>>
        : T extends object
          ? { [K in keyof T]: Jsonify<T[K]> }
          : T;
