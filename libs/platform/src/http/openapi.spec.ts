import type { OpenAPIObject } from '@nestjs/swagger';
import { Type } from '@sinclair/typebox';
import { Nullable, OneOf } from '@runway/contracts';
import { finishDocument, openApiSchema } from './openapi';

describe('openApiSchema', () => {
  it('says a nullable value as OpenAPI 3.0 does, and leaves out TypeBox\'s symbol keys', () => {
    const schema = openApiSchema(Type.Object({ at: Nullable(Type.String({ format: 'date-time' })), n: Type.Integer() }));
    expect(schema).toEqual({
      type: 'object',
      required: ['at', 'n'],
      properties: { at: { type: 'string', format: 'date-time', nullable: true }, n: { type: 'integer' } },
    });
    expect(Object.getOwnPropertySymbols(schema)).toEqual([]);
    expect(Object.getOwnPropertySymbols(schema.properties!.n)).toEqual([]);
  });

  it('makes string constants one enum, with null in it when nullable', () => {
    expect(openApiSchema(OneOf(['ok', 'bad']))).toEqual({ type: 'string', enum: ['ok', 'bad'] });
    expect(openApiSchema(Nullable(OneOf(['ok', 'bad'])))).toEqual({ type: 'string', enum: ['ok', 'bad', null], nullable: true });
    expect(openApiSchema(Type.Literal(true))).toEqual({ type: 'boolean', enum: [true] });
  });

  it('keeps a union of objects as anyOf, with their common type beside nullable', () => {
    const a = Type.Object({ kind: Type.Literal('a') });
    const b = Type.Object({ kind: Type.Literal('b'), revno: Type.Null() });
    expect(openApiSchema(Nullable(Type.Union([a, b])))).toEqual({
      type: 'object',
      nullable: true,
      anyOf: [
        { type: 'object', required: ['kind'], properties: { kind: { type: 'string', enum: ['a'] } } },
        { type: 'object', required: ['kind', 'revno'], properties: { kind: { type: 'string', enum: ['b'] }, revno: { type: 'string', nullable: true, enum: [null] } } },
      ],
    });
  });

  it('says a record as additionalProperties', () => {
    expect(openApiSchema(Type.Record(Type.String(), Type.Unknown()))).toEqual({ type: 'object', additionalProperties: {} });
  });
});

describe('finishDocument', () => {
  it('adds the error body and the fast routes, with their path parameters and security', () => {
    const doc = finishDocument({ openapi: '3.0.0', info: { title: 't', version: '1' }, paths: {} } as OpenAPIObject, [
      { method: 'POST', url: '/ofrep/v1/evaluate/flags/:key', answer: { summary: 'One flag', status: 200, body: Type.Object({ key: Type.String() }), errors: [403] } },
      { method: 'GET', url: '/snapshot', answer: { summary: 'Everything', status: 200, body: Type.Object({}), others: { 304: null } } },
    ]);
    expect(doc.components?.schemas?.ErrorBody).toMatchObject({ type: 'object', required: ['statusCode', 'error', 'message'] });
    const single = doc.paths['/ofrep/v1/evaluate/flags/{key}'].post!;
    expect(single).toMatchObject({
      operationId: 'postOfrepV1EvaluateFlagsKey',
      parameters: [{ name: 'key', in: 'path', required: true }],
      security: [{ bearer: [] }],
    });
    expect(Object.keys(single.responses)).toEqual(['200', '401', '403']);
    expect(single.responses['403']).toMatchObject({ content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorBody' } } } });
    expect(doc.paths['/snapshot'].get!.responses['304']).toEqual({ description: expect.any(String) });
  });
});
