// dynalite 4 ships no types; this is the slice the tests use.
declare module 'dynalite' {
  import type { Server } from 'node:http';
  interface DynaliteOptions {
    readonly createTableMs?: number;
    readonly deleteTableMs?: number;
    readonly updateTableMs?: number;
    readonly path?: string;
  }
  function dynalite(options?: DynaliteOptions): Server;
  export = dynalite;
}
