import type { Client } from "pg";

/** One committed row: its id, when the client had the commit acknowledged, and the WAL position right after the commit. */
export interface WrittenRow {
  id: number;
  writtenAt: Date;
  ackedAt: number;
  /** Unknown when the server went away between the commit and the question. */
  lsnAfter?: bigint;
}

export function parseLsn(lsn: string): bigint {
  const [hi, lo] = lsn.split("/");
  return (BigInt(`0x${hi}`) << 32n) + BigInt(`0x${lo}`);
}

/** The end of a WAL segment (16 MB segments): everything before it is in the archive once the segment is. */
export function segmentEnd(segment: string): bigint {
  const log = BigInt(`0x${segment.slice(8, 16)}`);
  const seg = BigInt(`0x${segment.slice(16, 24)}`);
  return (log << 32n) + (seg + 1n) * 16n * 1024n * 1024n;
}

/**
 * The app's stand-in: commits one row at a time, each with its commit time,
 * and remembers every acknowledged row. Errors end the loop (the server went away).
 */
export class Writer {
  readonly rows: WrittenRow[] = [];
  private running = false;
  private loop?: Promise<void>;

  constructor(
    private readonly connect: () => Client,
    private readonly pauseMs = 100,
  ) {}

  static async createTable(client: Client): Promise<void> {
    await client.query(
      "CREATE TABLE drill_rows (id bigserial PRIMARY KEY, written_at timestamptz NOT NULL DEFAULT clock_timestamp(), note text)",
    );
  }

  start(): void {
    this.running = true;
    this.loop = (async () => {
      const client = this.connect();
      client.on("error", () => undefined);
      await client.connect();
      try {
        while (this.running) {
          const { rows } = await client.query(
            "INSERT INTO drill_rows (note) VALUES ('drill') RETURNING id, written_at",
          );
          const row: WrittenRow = { id: Number(rows[0].id), writtenAt: rows[0].written_at, ackedAt: Date.now() };
          this.rows.push(row);
          const lsn = await client.query("SELECT pg_current_wal_insert_lsn() AS lsn");
          row.lsnAfter = parseLsn(lsn.rows[0].lsn);
          await new Promise((r) => setTimeout(r, this.pauseMs));
        }
      } catch {
        // The server is gone: the rows acknowledged so far are the ones that count.
      } finally {
        await client.end().catch(() => undefined);
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}
