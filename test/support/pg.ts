import pg from 'pg';

/** One short-lived PostgreSQL connection for a test's own queries (schema checks, cleanup). */
export async function withPgClient<T>(url: string, body: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await body(client);
  } finally {
    await client.end();
  }
}
