export default async function globalTeardown(): Promise<void> {
  const infra = (globalThis as { __runwayInfra?: { stop(): Promise<void> } }).__runwayInfra;
  await infra?.stop();
}
