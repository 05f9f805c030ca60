import { readFileSync } from 'node:fs';
import path from 'node:path';
import protobuf from 'protobufjs';

/*
 * The upstream .proto schemas from the conformance material, loaded into protobufjs: an
 * independent decoder/encoder used by tests (and the benchmark) to cross-check the
 * hand-written wire code. Gogoproto imports and options are stripped; they only steer Go
 * code generation.
 */

function stripGogo(source: string): string {
  return source
    .replace(/^import "gogoproto\/gogo.proto";\s*$/m, '')
    .replace(/^import "types.proto";\s*$/m, '')
    .replace(/\s*\[\(gogoproto\.[^\]]*\]/g, '');
}

export function loadReferenceSchema(conformanceDir: string): { v1: protobuf.Type; v2: protobuf.Type } {
  const dir = path.join(conformanceDir, 'remote-write', 'proto');
  const root = new protobuf.Root();
  protobuf.parse(stripGogo(readFileSync(path.join(dir, 'types.proto'), 'utf8')), root, { keepCase: true });
  protobuf.parse(stripGogo(readFileSync(path.join(dir, 'remote.proto'), 'utf8')), root, { keepCase: true });
  const v2root = new protobuf.Root();
  protobuf.parse(stripGogo(readFileSync(path.join(dir, 'write_v2_types.proto'), 'utf8')), v2root, { keepCase: true });
  return { v1: root.lookupType('prometheus.WriteRequest'), v2: v2root.lookupType('io.prometheus.write.v2.Request') };
}
