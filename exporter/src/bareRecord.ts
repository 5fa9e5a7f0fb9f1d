/**
 * An empty record that inherits nothing, for keys a request or a payload chooses (header names, a body's member
 * names, attribute keys): `__proto__`, `constructor` or `toString` are own members like any other, and an absent
 * key reads as undefined. Not `Object.create(null)`, which V8 keeps as a hash table from the start: ten headers
 * take ~890 B in one against ~160 B here, on every decision (bench/README.md, "Decisions"). An object whose
 * prototype is an empty, frozen, prototype-less one keeps V8's fast layout and inherits nothing all the same.
 */
const NOTHING: object = Object.freeze(Object.create(null) as object);

export function bareRecord<T>(): Record<string, T> {
  return Object.create(NOTHING) as Record<string, T>;
}
