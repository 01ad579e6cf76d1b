/**
 * Simulated DGFiP Hélios FTP gateway (ftp-srv) on 127.0.0.1.
 *
 * Layout under --root: `ftp/entree/` (deposits), `ftp/sortie/` (PES_ACQUIT, PES_Retour), `received/`
 * (a copy of every file received with a JSON record of its SITE parameters and result), `state.json`.
 * SITE commands: P_DEST, P_APPLI, P_MSG (recorded for the session, as Stela sends them before each STOR;
 * a STOR without P_DEST or without P_APPLI GHELPES2 is refused with 550), and our own
 * `SITE P_RETOUR <NomFic>` that writes a PES_Retour for the dépense bordereaux integrated from that file
 * (with `retourAuto`, written at once after each such acquit).
 * Each file is checked when its upload completes, before the 226 reply, so its acquit is already in
 * /sortie/ when the client regains control (the real gateway answers minutes later; pollers must not rely
 * on it).
 */
import { mkdirSync, renameSync, writeFileSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { Writable } from 'node:stream';
import { FtpSrv, FileSystem, type FtpConnection } from 'ftp-srv';
import type { PesSchemaVersion } from '../../helios/pes/index.ts';
import { processPesAller } from './gateway.ts';
import { buildRetourForAller } from './retour.ts';
import { StateStore, type SiteParams } from './state.ts';

export interface HeliosSimOptions {
  root: string;
  /** 0 = any free port. */
  port: number;
  host?: string;
  user?: string;
  password?: string;
  knownSirets?: string[];
  pasvRange?: [number, number];
  trustAnchors?: string[];
  schemaVersion?: PesSchemaVersion;
  maxFileBytes?: number;
  /** Also write the PES_Retour of every file whose dépense bordereaux were integrated, right after its acquit (demo). */
  retourAuto?: boolean;
  now?: () => Date;
  log?: (event: Record<string, unknown>) => void;
}

export interface HeliosSim {
  url: string;
  port: number;
  close(): Promise<void>;
}

const two = (n: number) => String(n).padStart(2, '0');
const stamp = (d: Date) => `${two(d.getUTCFullYear() % 100)}${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())}${two(d.getUTCHours())}${two(d.getUTCMinutes())}${two(d.getUTCSeconds())}`;

/** A logger with the bunyan methods ftp-srv calls; its own chatter is dropped, errors are reported. */
function quietLogger(report: (e: Record<string, unknown>) => void): unknown {
  const noop = () => undefined;
  const logger = {
    child: () => logger,
    trace: noop,
    debug: noop,
    info: noop,
    warn: noop,
    error: (...a: unknown[]) => report({ event: 'ftp-error', detail: a.map((x) => (x instanceof Error ? x.message : typeof x === 'string' ? x : '')).join(' ') }),
    fatal: noop,
  };
  return logger;
}

export async function startHeliosSimulator(o: HeliosSimOptions): Promise<HeliosSim> {
  const host = o.host ?? '127.0.0.1';
  const user = o.user ?? 'paraphe';
  const password = o.password ?? 'paraphe';
  const now = o.now ?? (() => new Date());
  const log = o.log ?? ((e) => console.log(JSON.stringify({ at: new Date().toISOString(), ...e })));
  const maxFileBytes = o.maxFileBytes ?? 128_000_000;
  const ftpRoot = join(o.root, 'ftp');
  for (const d of [join(ftpRoot, 'entree'), join(ftpRoot, 'sortie'), join(o.root, 'received'), join(o.root, 'tmp')]) mkdirSync(d, { recursive: true });
  const store = new StateStore(o.root);
  const sessions = new WeakMap<object, SiteParams>();
  let queue: Promise<unknown> = Promise.resolve();
  /** One file at a time: the checks across files (doublons, NomFic) read and write the same state. */
  const serial = <T>(f: () => Promise<T>): Promise<T> => {
    const p = queue.then(f, f);
    queue = p.catch(() => undefined);
    return p;
  };

  /** Response files appear in /sortie/ complete: written beside, then renamed. */
  const publish = (name: string, bytes: Buffer): void => {
    const tmp = join(o.root, 'tmp', name);
    writeFileSync(tmp, bytes);
    renameSync(tmp, join(ftpRoot, 'sortie', name));
  };

  const receive = (uploadName: string, bytes: Buffer, site: SiteParams): Promise<void> =>
    serial(async () => {
      const at = now();
      const seq = store.nextSeq();
      const storedAs = join('received', `${String(seq).padStart(6, '0')}_${uploadName}`);
      writeFileSync(join(o.root, storedAs), bytes);
      const r = await processPesAller(bytes, { uploadName, site, now: at }, store.state, {
        knownSirets: o.knownSirets ?? [],
        trustAnchors: o.trustAnchors ?? [],
        schemaVersion: o.schemaVersion ?? '5.17',
      });
      const e = r.header?.entete;
      const fb = (site.msg ?? '').split('#');
      const idPost = e?.idPost ?? fb[2] ?? '000000';
      const codColBud = `${e?.codCol ?? fb[1] ?? '000'}${e?.codBud ?? fb[3] ?? '00'}`;
      const acquitName = `${idPost}_${stamp(at)}-ACK-A${String(seq).padStart(7, '0')}_${codColBud}_${r.accepted ? 'OK' : 'KO'}.xml`;
      publish(acquitName, r.acquit);
      store.state.received.push({
        seq,
        uploadName,
        storedAs,
        receivedAt: at.toISOString(),
        site,
        nomFic: r.header?.parametres.nomFic,
        idColl: e?.idColl,
        acquit: acquitName,
        accepted: r.accepted,
        acceptedBordereaux: r.acceptedBordereaux,
      });
      store.save();
      writeFileSync(join(o.root, `${storedAs}.json`), JSON.stringify({ uploadName, site, receivedAt: at.toISOString(), acquit: acquitName, accepted: r.accepted, elements: r.summary }, null, 1));
      log({ event: 'received', file: uploadName, nomFic: r.header?.parametres.nomFic, site, acquit: acquitName, accepted: r.accepted, elements: r.summary });
      const nomFic = r.header?.parametres.nomFic;
      if (o.retourAuto && nomFic && r.acceptedBordereaux.some((b) => b.startsWith('depense:'))) {
        try {
          writeRetour(nomFic);
        } catch (e) {
          log({ event: 'error', nomFic, error: `PES_Retour: ${(e as Error).message}` });
        }
      }
    });

  const retour = (nomFic: string): Promise<string> => serial(async () => writeRetour(nomFic));

  /** Writes the PES_Retour of the last integrated file with this NomFic; call it inside `serial`. */
  function writeRetour(nomFic: string): string {
    const rec = [...store.state.received].reverse().find((r) => r.nomFic === nomFic && r.acceptedBordereaux.length > 0);
    if (!rec) throw new Error(`no integrated file with NomFic ${nomFic}`);
    const at = now();
    const seq = store.nextSeq();
    const name = `PES2R_${rec.idColl ?? ''}_${stamp(at)}_${String(seq).padStart(7, '0')}.xml`;
    publish(name, buildRetourForAller(readFileSync(join(o.root, rec.storedAs)), rec.acceptedBordereaux, name.replace(/\.xml$/, ''), at));
    store.state.retours.push({ name, nomFic, at: at.toISOString() });
    store.save();
    log({ event: 'retour', nomFic, file: name });
    return name;
  }

  class GatewayFs extends FileSystem {
    override write(fileName: string): { stream: Writable; clientPath: string } {
      const clientPath = posix.normalize(posix.isAbsolute(fileName) ? fileName : posix.join(this.currentDirectory(), fileName));
      if (posix.dirname(clientPath) !== '/entree') throw new Error('Dépôt autorisé uniquement dans /entree/');
      const site = { ...(sessions.get(this.connection) ?? {}) };
      const chunks: Buffer[] = [];
      let size = 0;
      const stream = new Writable({
        write(chunk: Buffer, _enc, cb) {
          size += chunk.length;
          if (size > maxFileBytes) return cb(new Error(`Fichier trop volumineux (plus de ${maxFileBytes} octets)`));
          chunks.push(chunk);
          cb();
        },
        final(cb) {
          receive(posix.basename(clientPath), Buffer.concat(chunks), site).then(
            () => cb(),
            (e: Error) => {
              log({ event: 'error', file: clientPath, error: e.stack ?? e.message });
              cb(e);
            },
          );
        },
      });
      return { stream, clientPath };
    }
  }

  const server = new FtpSrv({
    url: `ftp://${host}:${o.port}`,
    pasv_url: host,
    ...(o.pasvRange ? { pasv_min: o.pasvRange[0], pasv_max: o.pasvRange[1] } : {}),
    anonymous: false,
    greeting: 'Passerelle Helios simulee (Paraphe)',
    log: quietLogger(log),
  });

  server.on('login', ({ connection, username, password: pass }, resolve, reject) => {
    if (username !== user || pass !== password) return reject(new Error('Identifiants invalides'));
    sessions.set(connection, {});
    wrapCommands(connection);
    resolve({ fs: new GatewayFs(connection, { root: ftpRoot, cwd: '/' }) });
  });

  /** SITE P_* and the STOR preconditions, in front of ftp-srv's own command handling. */
  function wrapCommands(connection: FtpConnection): void {
    const commands = (connection as unknown as { commands: { handle(m: unknown): Promise<unknown>; parse(m: string): { directive: string; arg: string | null } } }).commands;
    const original = commands.handle.bind(commands);
    commands.handle = (message: unknown) => {
      const cmd = typeof message === 'string' ? commands.parse(message) : (message as { directive: string; arg: string | null });
      const site = sessions.get(connection)!;
      if (cmd.directive === 'SITE') {
        const [verb = '', ...rest] = (cmd.arg ?? '').trim().split(/\s+/);
        const value = rest.join(' ');
        switch (verb.toUpperCase()) {
          case 'P_DEST':
            if (!value) return connection.reply(501, 'P_DEST sans code serveur');
            site.dest = value;
            log({ event: 'site', command: `P_DEST ${value}` });
            return connection.reply(200, `P_DEST ${value} OK`);
          case 'P_APPLI':
            site.appli = value;
            log({ event: 'site', command: `P_APPLI ${value}` });
            return value === 'GHELPES2' ? connection.reply(200, `P_APPLI ${value} OK`) : connection.reply(501, `Application ${value} inconnue (GHELPES2 attendu)`);
          case 'P_MSG':
            if (value.split('#').length !== 4) return connection.reply(501, 'P_MSG attendu : TypFic#CodCol#IdPost#CodBud');
            site.msg = value;
            log({ event: 'site', command: `P_MSG ${value}` });
            return connection.reply(200, `P_MSG ${value} OK`);
          case 'P_RETOUR':
            if (!value) return connection.reply(501, 'P_RETOUR attendu : NomFic du PES_Aller');
            return retour(value).then(
              (name) => connection.reply(200, `PES_Retour ${name} depose dans /sortie/`),
              (e: Error) => connection.reply(550, e.message),
            );
          default:
            return original(message);
        }
      }
      if (cmd.directive === 'STOR' || cmd.directive === 'APPE' || cmd.directive === 'STOU') {
        if (cmd.directive !== 'STOR') return connection.reply(502, `${cmd.directive} non pris en charge par la passerelle`);
        if (site.appli !== 'GHELPES2') return connection.reply(550, 'SITE P_APPLI GHELPES2 requis avant le depot');
        if (!site.dest) return connection.reply(550, 'SITE P_DEST requis avant le depot');
      }
      return original(message);
    };
  }

  await server.listen();
  const address = (server as unknown as { server: { address(): { port: number } } }).server.address();
  const url = `ftp://${user}:${password}@${host}:${address.port}`;
  return {
    url,
    port: address.port,
    close: async () => {
      await server.close();
    },
  };
}
