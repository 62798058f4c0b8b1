import Fastify from 'fastify';

/**
 * The comparison point for the ingest benchmark: a fastify route that reads the same body and
 * parses it with JSON.parse, and does nothing else (no WAL, no signature, no store).
 */
const app = Fastify({ bodyLimit: 64 * 1024 });
app.post('/v1/pcs/submit', async (req) => {
  const rec = req.body as { pcs_id?: string };
  return { pcs_id: rec.pcs_id, accepted: true };
});
const port = Number(process.env.PORT ?? 8090);
await app.listen({ host: '127.0.0.1', port });
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
