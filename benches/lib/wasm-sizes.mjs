// What a wasm module is made of: each function body's size, by the crate its (mangled or
// demangled) name comes from, read from the module's "name" section. A build that keeps names
// is needed (the release .wasm before wasm-bindgen and wasm-opt).

function leb(bytes, at) {
  let value = 0, shift = 0, b;
  do { b = bytes[at++]; value += (b & 0x7f) * 2 ** shift; shift += 7; } while (b & 0x80);
  return [value, at];
}

function sections(bytes) {
  const out = [];
  let at = 8;
  while (at < bytes.length) {
    const id = bytes[at];
    const [size, start] = leb(bytes, at + 1);
    out.push({ id, start, end: start + size });
    at = start + size;
  }
  return out;
}

function importedFunctions(bytes, s) {
  let [count, at] = leb(bytes, s.start), n = 0;
  for (let i = 0; i < count; i++) {
    for (let k = 0; k < 2; k++) { const [len, p] = leb(bytes, at); at = p + len; }
    const kind = bytes[at++];
    if (kind === 0) { n++; at = leb(bytes, at)[1]; }
    else if (kind === 1) { at++; const [flags, p] = leb(bytes, at); at = leb(bytes, p)[1]; if (flags & 1) at = leb(bytes, at)[1]; }
    else if (kind === 2) { const [flags, p] = leb(bytes, at); at = leb(bytes, p)[1]; if (flags & 1) at = leb(bytes, at)[1]; }
    else if (kind === 3) { at += 2; }
    else at = leb(bytes, at)[1];
  }
  return n;
}

function functionNames(bytes, s) {
  const names = new Map();
  let at = s.start;
  const [nameLen, p] = leb(bytes, at);
  at = p + nameLen;
  while (at < s.end) {
    const id = bytes[at];
    const [size, start] = leb(bytes, at + 1);
    if (id === 1) {
      let [count, q] = leb(bytes, start);
      for (let i = 0; i < count; i++) {
        const [idx, r] = leb(bytes, q);
        const [len, t] = leb(bytes, r);
        names.set(idx, new TextDecoder().decode(bytes.subarray(t, t + len)));
        q = t + len;
      }
    }
    at = start + size;
  }
  return names;
}

/** The crate a symbol belongs to: the first path segment of a Rust name, in any mangling. */
export function crateOf(name) {
  if (/ shim/.test(name)) return "(wasm-bindgen shims)";
  if (/dlmalloc/.test(name)) return "dlmalloc";
  const legacy = /^_ZN(\d+)/.exec(name);
  if (legacy) return name.slice(legacy[0].length, legacy[0].length + Number(legacy[1]));
  if (name.startsWith("_R")) {
    const v0 = /C[s]?[0-9a-zA-Z_]*?_?(\d+)([a-z_][a-z0-9_]*)/.exec(name);
    return v0 ? v0[2].slice(0, Number(v0[1])) : "(other)";
  }
  // `<Self as crate::Trait>::f`: the self type's crate when it has a path, else the trait's.
  let path = name.replace(/^(_\$LT\$|<|&|\s|\*|_)+/, "").replace(/\$u20\$as\$u20\$/, " as ");
  const [self, trait] = path.split(" as ");
  path = self.includes("::") || self.includes("..") || !trait ? self : trait;
  return path.split(/::|\.\.|\$|</)[0].replace(/\[[0-9a-f]+\]$/, "") || "(other)";
}

/** Bytes of function bodies per crate, biggest first, and the total code size. */
export function sizesByCrate(bytes) {
  const all = sections(bytes);
  const imports = all.find((s) => s.id === 2);
  const code = all.find((s) => s.id === 10);
  const nameSection = all.find((s) => s.id === 0 && new TextDecoder().decode(bytes.subarray(leb(bytes, s.start)[1], leb(bytes, s.start)[1] + 4)) === "name");
  const base = imports ? importedFunctions(bytes, imports) : 0;
  const names = nameSection ? functionNames(bytes, nameSection) : new Map();
  const totals = new Map();
  let [count, at] = leb(bytes, code.start);
  for (let i = 0; i < count; i++) {
    const [size, start] = leb(bytes, at);
    const crate = crateOf(names.get(base + i) ?? "(unnamed)");
    totals.set(crate, (totals.get(crate) ?? 0) + size);
    at = start + size;
  }
  const data = all.filter((s) => s.id === 11).reduce((n, s) => n + (s.end - s.start), 0);
  return { code: code.end - code.start, data, crates: [...totals].sort((a, b) => b[1] - a[1]) };
}
