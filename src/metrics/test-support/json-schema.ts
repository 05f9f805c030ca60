/**
 * A small JSON-Schema (2020-12 subset) checker for the schemas in Prometheus's OpenAPI golden
 * file: type, enum, properties, required, additionalProperties, items, minItems, maxItems,
 * oneOf, anyOf, allOf and local $ref. Enough to hold Kansoku's responses to that contract
 * without another dependency. Returns the problems found, empty when the value conforms.
 */
export type Schema = Record<string, unknown>;

export interface SchemaDoc {
  components?: { schemas?: Record<string, Schema> };
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function typeMatches(want: string, got: string): boolean {
  return want === got || (want === 'number' && got === 'integer');
}

export function validateSchema(value: unknown, schema: Schema, doc: SchemaDoc, path = '$', options: { extraProperties?: readonly string[] } = {}): string[] {
  const errors: string[] = [];
  const ref = schema.$ref;
  if (typeof ref === 'string') {
    const m = /^#\/components\/schemas\/(.+)$/.exec(ref);
    const target = m ? doc.components?.schemas?.[m[1]!] : undefined;
    if (!target) return [`${path}: cannot resolve ${ref}`];
    return validateSchema(value, target, doc, path, options);
  }
  const t = typeOf(value);
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
    if (!types.some((w) => typeMatches(w, t))) return [`${path}: expected ${types.join('|')}, got ${t}`];
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => e === value)) errors.push(`${path}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  if (t === 'object') {
    const obj = value as Record<string, unknown>;
    const props = (schema.properties ?? {}) as Record<string, Schema>;
    for (const r of (schema.required ?? []) as string[]) if (!(r in obj)) errors.push(`${path}: missing required property "${r}"`);
    for (const [k, v] of Object.entries(obj)) {
      if (props[k]) errors.push(...validateSchema(v, props[k], doc, `${path}.${k}`, options));
      else if (schema.additionalProperties === false) {
        if (!options.extraProperties?.includes(k)) errors.push(`${path}: unexpected property "${k}"`);
      } else if (typeof schema.additionalProperties === 'object' && schema.additionalProperties !== null) {
        errors.push(...validateSchema(v, schema.additionalProperties as Schema, doc, `${path}.${k}`, options));
      }
    }
  }
  if (t === 'array') {
    const arr = value as unknown[];
    if (typeof schema.minItems === 'number' && arr.length < schema.minItems) errors.push(`${path}: fewer than ${schema.minItems} items`);
    if (typeof schema.maxItems === 'number' && arr.length > schema.maxItems) errors.push(`${path}: more than ${schema.maxItems} items`);
    if (schema.items && typeof schema.items === 'object') arr.forEach((v, i) => errors.push(...validateSchema(v, schema.items as Schema, doc, `${path}[${i}]`, options)));
  }
  if (Array.isArray(schema.allOf)) for (const s of schema.allOf as Schema[]) errors.push(...validateSchema(value, s, doc, path, options));
  if (Array.isArray(schema.anyOf)) {
    const results = (schema.anyOf as Schema[]).map((s) => validateSchema(value, s, doc, path, options));
    if (!results.some((r) => r.length === 0)) errors.push(`${path}: matches none of anyOf (${results.map((r) => r[0]).join('; ')})`);
  }
  if (Array.isArray(schema.oneOf)) {
    const ok = (schema.oneOf as Schema[]).filter((s) => validateSchema(value, s, doc, path, options).length === 0).length;
    if (ok !== 1) errors.push(`${path}: matches ${ok} of oneOf, expected exactly 1`);
  }
  return errors;
}

/** The 200 (or `default`) response schema of an operation in an OpenAPI document. */
export function responseSchema(doc: Record<string, unknown>, path: string, method: 'get' | 'post', status: '200' | 'default'): Schema {
  const paths = doc.paths as Record<string, Record<string, { responses: Record<string, { content: Record<string, { schema: Schema }> }> }>>;
  const op = paths[path]?.[method];
  const schema = op?.responses[status]?.content['application/json']?.schema;
  if (!schema) throw new Error(`no ${status} response schema for ${method.toUpperCase()} ${path}`);
  return schema;
}
