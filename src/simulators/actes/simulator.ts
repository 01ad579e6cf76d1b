/**
 * A préfecture / @CTES simulator, run as a separate program (`paraphe-sim actes`):
 * - an HTTPS endpoint requiring a client certificate from the configured CA, taking a POST
 *   multipart/form-data `file` = the `.tar.gz` (PROTOCOLS A.9);
 * - each archive is read with the safe reader and checked like @CTES does (names A.5, enveloppe and
 *   message against the bundled schema, known SIRENs, classification date, duplicate IDActe);
 * - the answers go by e-mail (SMTP or LMTP) to the enveloppe's AdressesRetour: ARActe, AnomalieActe,
 *   AnomalieEnveloppe, ARAnnulation, ARPieceComplementaire, ARReponseRejetLettreObservations,
 *   RetourClassification or ReponseClassificationSansChangement;
 * - an admin HTTP endpoint (plain HTTP, another loopback port) triggers the préfecture's own letters
 *   (2-1, 3-1, 4-1, 5-1, each with a PDF) and lists what was received and sent.
 * Everything received and sent is kept in the data directory.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import Fastify, { type FastifyInstance } from 'fastify';
import multipart from '@fastify/multipart';
import nodemailer from 'nodemailer';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { ACTES_XSD_PATH, ALLOWED_EXTENSIONS, parisDate } from '../../actes/archive/build.ts';
import { ARCHIVE_NAME_RE, ENVELOPPE_CL_NAME_RE, MESSAGE_FILE_RE } from '../../actes/archive/names.ts';
import { createTarGz } from '../../actes/archive/tar.ts';
import { parseRetourClassification, findMatiere, hasTypologie, isTypologieValidForNature, type Classification } from '../../actes/classification/classification.ts';
import { natureByCode } from '../../actes/domain/natures.ts';
import { compactDate } from '../../actes/domain/rules.ts';
import { MESSAGE_CODES, type ActeContent, type ActesMessage, type EnveloppeCLContent } from '../../actes/messages/parse.ts';
import { readActesArchive, type ReadArchiveResult } from '../../actes/messages/read-archive.ts';
import { AppError } from '../../shared/errors.ts';
import { validateAgainstXsd } from '../../shared/xml/xsd.ts';
import {
  anomalieActe,
  anomalieEnveloppe,
  arActe,
  arAnnulation,
  arReponse,
  COURRIER_CODES,
  courrier,
  enveloppeMISILLCL,
  reponseClassificationSansChangement,
  type CourrierKind,
} from './prefecture-messages.ts';
import { simplePdf } from './pdf.ts';

export interface ActesSimulatorOptions {
  /** HTTPS port for @CTES (0: any free port). */
  port: number;
  /** Plain HTTP port for the admin endpoint (0: any free port). */
  adminPort: number;
  tlsCert: Buffer;
  tlsKey: Buffer;
  /** CA(s) whose client certificates are accepted. */
  clientCa: Buffer;
  /** Mail relay (SMTP) or LMTP server the answers are delivered to. */
  smtp: { host: string; port: number; lmtp: boolean };
  mailFrom: string;
  dataDir: string;
  /** Delay before each answer mail is sent. */
  delayMs: number;
  /** Delay before the HTTP answer to an upload, once the archive is recorded (a window to test crashes in). */
  responseDelayMs?: number;
  /** Full classification (7-2) served to DemandeClassification; its date is the current version. */
  classificationXml?: Buffer;
  /** Current classification date when no classification file is given. */
  classificationDate: string;
  /** Known SIRENs; when given, any other SIREN gets an AnomalieEnveloppe. */
  knownSirens?: Set<string>;
  log?: (line: string) => void;
}

interface ActeRecord {
  idActe: string;
  status: 'recu' | 'annule';
  receivedAt: string;
  archiveName: string;
  siren: string;
  departement: string;
  arrondissement: string;
  adressesRetour: string[];
  courriers: { kind: string; code: string; dateCourrierPref: string; sentAt: string }[];
  reponses: { kind: string; code: string | null; receivedAt: string; archiveName: string }[];
}

export interface ReceivedRecord {
  n: number;
  at: string;
  fileName: string;
  storedAs: string;
  /** SHA-256 of the archive bytes received: a repeated upload is recognisable as identical or not. */
  sha256: string;
  clientCertificate?: string;
  httpStatus: number;
  verdict: 'accepte' | 'refuse';
  reason?: string;
  kind?: string;
  idActe?: string;
  answers: string[];
}

export interface SentRecord {
  n: number;
  at: string;
  to: string[];
  subject: string;
  kind: string;
  idActe?: string;
  attachments: string[];
  storedAs: string;
  error?: string;
}

interface State {
  actes: Record<string, ActeRecord>;
  counter: number;
  received: ReceivedRecord[];
  sent: SentRecord[];
}

interface OutgoingMail {
  to: string[];
  subject: string;
  text: string;
  kind: string;
  idActe?: string;
  attachments: { filename: string; content: Buffer; contentType: string }[];
}

export interface RunningActesSimulator {
  ctesUrl: string;
  adminUrl: string;
  close(): Promise<void>;
}

const EXT_OK = new Set<string>(ALLOWED_EXTENSIONS);
const SAVE_DELAY_MS = 200;

class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly reasonFr: string,
  ) {
    super(reasonFr);
  }
}

export class ActesPrefectureSimulator {
  private state: State;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly classification?: Classification;
  private readonly classificationDate: string;
  private readonly mailer;
  private readonly pending = new Set<Promise<void>>();
  private failNext: { status: number; count: number } = { status: 503, count: 0 };
  private saveTimer: NodeJS.Timeout | undefined;

  constructor(private readonly o: ActesSimulatorOptions) {
    for (const d of ['received', 'sent']) mkdirSync(join(o.dataDir, d), { recursive: true });
    const statePath = join(o.dataDir, 'state.json');
    this.state = existsSync(statePath) ? (JSON.parse(readFileSync(statePath, 'utf8')) as State) : { actes: {}, counter: 0, received: [], sent: [] };
    if (o.classificationXml) {
      this.classification = parseRetourClassification(o.classificationXml);
      this.classificationDate = this.classification.dateClassification;
    } else {
      this.classificationDate = o.classificationDate;
    }
    // Pooled: the answers go over a few kept-open SMTP/LMTP sessions, not one connection per mail.
    this.mailer = nodemailer.createTransport({ pool: true, maxConnections: 4, host: o.smtp.host, port: o.smtp.port, lmtp: o.smtp.lmtp, secure: false, ignoreTLS: true });
  }

  private log(line: string): void {
    (this.o.log ?? ((l: string) => console.log(l)))(line);
  }

  /**
   * The state file is rewritten whole: at most every SAVE_DELAY_MS (it grows with every archive and mail,
   * and writing it at each one made the simulator quadratic), and at close.
   */
  private save(): void {
    this.saveTimer ??= setTimeout(() => this.flush(), SAVE_DELAY_MS);
  }

  private flush(): void {
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    const p = join(this.o.dataDir, 'state.json');
    writeFileSync(`${p}.tmp`, JSON.stringify(this.state, null, 2));
    renameSync(`${p}.tmp`, p);
  }

  private next(): number {
    this.state.counter += 1;
    return this.state.counter;
  }

  private today(): string {
    return parisDate(new Date());
  }

  /** Runs one job at a time: state changes (duplicates, annulations) are sequential like a real queue. */
  private serial<T>(job: () => Promise<T>): Promise<T> {
    const p = this.queue.then(job, job);
    this.queue = p.catch(() => undefined);
    return p;
  }

  // -------------------------------------------------------------------------------------------------
  // Mail

  private async sendMail(m: OutgoingMail): Promise<SentRecord> {
    const n = this.next();
    const raw = await new MailComposer({
      from: this.o.mailFrom,
      to: m.to,
      subject: m.subject,
      text: m.text,
      messageId: `<actes-sim-${n}-${Date.now()}@prefecture.test>`,
      attachments: m.attachments,
    })
      .compile()
      .build();
    const storedAs = join('sent', `${String(n).padStart(5, '0')}-${m.kind}.eml`);
    writeFileSync(join(this.o.dataDir, storedAs), raw);
    const rec: SentRecord = {
      n,
      at: new Date().toISOString(),
      to: m.to,
      subject: m.subject,
      kind: m.kind,
      ...(m.idActe ? { idActe: m.idActe } : {}),
      attachments: m.attachments.map((a) => a.filename),
      storedAs,
    };
    try {
      await this.mailer.sendMail({ envelope: { from: this.o.mailFrom, to: m.to }, raw });
      this.log(`mail ${m.kind}${m.idActe ? ` ${m.idActe}` : ''} → ${m.to.join(', ')}`);
    } catch (e) {
      rec.error = (e as Error).message;
      this.log(`mail ${m.kind} to ${m.to.join(', ')} FAILED: ${rec.error}`);
    }
    this.state.sent.push(rec);
    this.save();
    return rec;
  }

  /** Sends after the configured delay, without holding the HTTP answer. */
  private later(mails: OutgoingMail[]): void {
    const p = (async () => {
      if (this.o.delayMs > 0) await new Promise((r) => setTimeout(r, this.o.delayMs));
      for (const m of mails) await this.sendMail(m);
    })().catch((e: unknown) => this.log(`mail error: ${(e as Error).message}`));
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  private xmlMail(to: string[], kind: string, fileName: string, xml: Buffer, text: string, idActe?: string): OutgoingMail {
    return {
      to,
      subject: `[ACTES] ${kind}${idActe ? ` ${idActe}` : ''}`,
      text,
      kind,
      ...(idActe ? { idActe } : {}),
      attachments: [{ filename: fileName, content: xml, contentType: 'application/xml' }],
    };
  }

  // -------------------------------------------------------------------------------------------------
  // Reception of an archive

  /** Handles one POSTed archive; returns the HTTP status and body. */
  receive(fileName: string, bytes: Buffer, clientCertificate?: string): Promise<{ status: number; body: string }> {
    return this.serial(async () => {
      const n = this.next();
      const safe = fileName.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 200) || 'archive';
      const storedAs = join('received', `${String(n).padStart(5, '0')}-${safe}`);
      writeFileSync(join(this.o.dataDir, storedAs), bytes);
      const rec: ReceivedRecord = {
        n,
        at: new Date().toISOString(),
        fileName,
        storedAs,
        sha256: createHash('sha256').update(bytes).digest('hex'),
        ...(clientCertificate ? { clientCertificate } : {}),
        httpStatus: 200,
        verdict: 'accepte',
        answers: [],
      };
      try {
        if (this.failNext.count > 0) {
          this.failNext.count -= 1;
          throw new Refusal(this.failNext.status, 'Service momentanément indisponible (panne simulée).');
        }
        const mails = await this.check(fileName, bytes, rec);
        rec.answers = mails.map((m) => m.kind);
        this.later(mails);
        this.log(`archive ${fileName} accepted (${rec.kind ?? '?'}${rec.idActe ? ` ${rec.idActe}` : ''}) → ${rec.answers.join(', ') || 'no answer'}`);
        return { status: 200, body: `OK ${fileName}\n` };
      } catch (e) {
        const status = e instanceof Refusal ? e.status : 400;
        const reason = e instanceof Refusal ? e.reasonFr : e instanceof AppError ? e.messageFr : `Archive illisible : ${(e as Error).message}`;
        rec.httpStatus = status;
        rec.verdict = 'refuse';
        rec.reason = reason;
        this.log(`archive ${fileName} refused (HTTP ${status}): ${reason}`);
        return { status, body: `${reason}\n` };
      } finally {
        this.state.received.push(rec);
        this.save();
      }
    });
  }

  /** The checks of @CTES; returns the answer mails. Throws Refusal when no answer can be mailed. */
  private async check(fileName: string, bytes: Buffer, rec: ReceivedRecord): Promise<OutgoingMail[]> {
    const archiveName = ARCHIVE_NAME_RE.exec(fileName);
    if (!archiveName) {
      throw new Refusal(400, `Nom d’archive invalide « ${fileName} » : attendu TRI-EACT--SIREN--AAAAMMJJ-n.tar.gz.`);
    }
    let read: ReadArchiveResult;
    try {
      read = await readActesArchive(bytes);
    } catch (e) {
      throw new Refusal(400, e instanceof AppError ? e.messageFr : `Archive illisible : ${(e as Error).message}`);
    }
    const env = read.enveloppe;
    if (!env || env.message.kind !== 'EnveloppeCLMISILL') {
      throw new Refusal(400, 'L’archive ne contient pas d’enveloppe EnveloppeCLMISILL.');
    }
    const e = env.message.enveloppe;
    if (e.adressesRetour.length === 0) throw new Refusal(400, 'L’enveloppe ne donne aucune adresse de retour.');
    const to = e.adressesRetour;
    const today = this.today();
    const envEntry = read.entries.find((x) => x.name === env.name)!;
    const envValid = validateAgainstXsd(envEntry.data, ACTES_XSD_PATH);
    const anoEnv = (nature: string, detail: string): OutgoingMail[] => {
      rec.kind = 'AnomalieEnveloppe';
      const xml = anomalieEnveloppe(today, nature, detail, e, envValid.valid);
      return [this.xmlMail(to, 'AnomalieEnveloppe', `ANO_${env.name}`, xml, `Anomalie sur l’enveloppe ${env.name} : ${detail}`)];
    };
    if (!envValid.valid) return anoEnv('001', `PREF-VERIF-01 : enveloppe non conforme au schéma ACTES : ${envValid.errors.map((x) => x.message).join(' ; ')}`);
    const envName = ENVELOPPE_CL_NAME_RE.exec(env.name);
    const expectedEnv = fileName.replace(/^[A-Za-z0-9]{3}-/, '').replace(/\.tar\.gz$/, '.xml');
    if (!envName || env.name !== expectedEnv || envName[2] !== e.siren) {
      return anoEnv('001', `PREF-VERIF-01 : nom d’enveloppe « ${env.name} » invalide (attendu ${expectedEnv}, SIREN de l’émetteur).`);
    }
    if (this.o.knownSirens && !this.o.knownSirens.has(e.siren ?? '')) {
      return anoEnv('002', `PREF-VERIF-02 : le SIREN ${e.siren} n’est pas enregistré auprès de la préfecture.`);
    }
    if (read.missing.length) return anoEnv('004', `PREF-VERIF-04 : fichiers annoncés mais absents de l’archive : ${read.missing.join(', ')}.`);
    if (read.messages.length !== 1) return anoEnv('003', `PREF-VERIF-03 : l’enveloppe doit annoncer exactement un message (${read.messages.length}).`);
    const msg = read.messages[0]!;
    const msgEntry = read.entries.find((x) => x.name === msg.name)!;
    const msgValid = validateAgainstXsd(msgEntry.data, ACTES_XSD_PATH);
    if (!msgValid.valid) {
      return anoEnv('003', `PREF-VERIF-03 : le message ${msg.name} n’est pas conforme au schéma ACTES : ${msgValid.errors.map((x) => x.message).join(' ; ')}`);
    }
    const nameParts = MESSAGE_FILE_RE.exec(msg.name);
    const code = MESSAGE_CODES[msg.message.kind]?.code;
    if (!nameParts || `${nameParts[7]}-${nameParts[8]}` !== code || nameParts[3] !== e.siren) {
      return anoEnv('003', `PREF-VERIF-03 : le nom du message « ${msg.name} » ne correspond pas à son contenu (${msg.message.kind}, ${code}).`);
    }
    rec.kind = msg.message.kind;
    return this.dispatch(msg.message, e, fileName, read, to, anoEnv, rec);
  }

  private dispatch(
    m: ActesMessage,
    e: EnveloppeCLContent,
    archiveName: string,
    read: ReadArchiveResult,
    to: string[],
    anoEnv: (nature: string, detail: string) => OutgoingMail[],
    rec: ReceivedRecord,
  ): OutgoingMail[] {
    const today = this.today();
    const known = (idActe: string | undefined): ActeRecord | undefined => (idActe ? this.state.actes[idActe] : undefined);
    switch (m.kind) {
      case 'Acte':
        return this.acte(m.acte, e, archiveName, read, to, rec, read.messages[0]!.name);
      case 'Annulation': {
        const a = known(m.idActe);
        rec.idActe = m.idActe;
        if (!a) return anoEnv('005', `ODT-VERIF-17 : l’acte ${m.idActe} à annuler est inconnu de la préfecture.`);
        if (a.status === 'annule') return anoEnv('005', `ODT-VERIF-18 : la transmission de l’acte ${m.idActe} est déjà annulée.`);
        a.status = 'annule';
        a.reponses.push({ kind: m.kind, code: m.code, receivedAt: today, archiveName });
        const name = `${m.idActe}-6-2_${this.state.counter}.xml`;
        return [this.xmlMail(to, 'ARAnnulation', name, arAnnulation(m.idActe!, today), `Accusé de réception de l’annulation de l’acte ${m.idActe}.`, m.idActe)];
      }
      case 'ReponseCourrierSimple':
      case 'ARDemandePieceComplementaire':
      case 'RefusPieceComplementaire':
      case 'PieceComplementaire':
      case 'ARLettreObservations':
      case 'RejetLettreObservations':
      case 'ReponseLettreObservations': {
        const a = known(m.idActe);
        rec.idActe = m.idActe;
        if (!a) return anoEnv('005', `ODT-VERIF-17 : la réponse porte sur l’acte ${m.idActe}, inconnu de la préfecture.`);
        a.reponses.push({ kind: m.kind, code: m.code, receivedAt: today, archiveName });
        if (m.kind === 'PieceComplementaire') {
          const xml = arReponse('ARPieceComplementaire', today, m.idActe!, m.dateCourrierPref ?? today);
          return [this.xmlMail(to, 'ARPieceComplementaire', `${m.idActe}-3-5_${this.state.counter}.xml`, xml, `Accusé de réception des pièces complémentaires pour l’acte ${m.idActe}.`, m.idActe)];
        }
        if (m.kind === 'RejetLettreObservations' || m.kind === 'ReponseLettreObservations') {
          const xml = arReponse('ARReponseRejetLettreObservations', today, m.idActe!, m.dateCourrierPref ?? today);
          return [
            this.xmlMail(to, 'ARReponseRejetLettreObservations', `${m.idActe}-4-5_${this.state.counter}.xml`, xml, `Accusé de réception de votre réponse à la lettre d’observations (acte ${m.idActe}).`, m.idActe),
          ];
        }
        return [];
      }
      case 'DemandeClassification': {
        const base = `${e.departement}-${e.siren}----`;
        const held = m.dateClassification;
        if (this.o.classificationXml && (!held || held < this.classificationDate)) {
          return [this.xmlMail(to, 'RetourClassification', `${base}7-2_${this.state.counter}.xml`, this.o.classificationXml, `Classification en vigueur au ${this.classificationDate}.`)];
        }
        const xml = reponseClassificationSansChangement(this.classificationDate);
        return [this.xmlMail(to, 'ReponseClassificationSansChangement', `${base}7-3_${this.state.counter}.xml`, xml, `Votre classification (${held ?? '—'}) est à jour.`)];
      }
      default:
        return anoEnv('003', `PREF-VERIF-03 : le message ${m.kind} ne peut pas être envoyé par une collectivité.`);
    }
  }

  private acte(
    a: ActeContent,
    e: EnveloppeCLContent,
    archiveName: string,
    read: ReadArchiveResult,
    to: string[],
    rec: ReceivedRecord,
    messageName: string,
  ): OutgoingMail[] {
    const today = this.today();
    const abbr = a.codeNatureActe !== undefined ? natureByCode(a.codeNatureActe)?.abbr : undefined;
    const idActe = `${e.departement}-${e.siren}-${compactDate(a.dateDecision ?? '')}-${a.numeroInterne}-${abbr}`;
    rec.idActe = idActe;
    const base = idActe;
    const ano = (nature: string, detail: string): OutgoingMail[] => {
      rec.kind = 'AnomalieActe';
      const xml = anomalieActe(today, nature, detail, a, this.classificationDate);
      return [this.xmlMail(to, 'AnomalieActe', `${base}-1-3_${this.state.counter}.xml`, xml, `Anomalie sur l’acte ${idActe} : ${detail}`, idActe)];
    };
    if (!messageName.startsWith(`${idActe}-1-1_`)) {
      return ano('004', `ODT-VERIF-04 : le nom du message « ${messageName} » ne correspond pas à l’identifiant ${idActe}.`);
    }
    for (const [i, f] of [a.document, ...a.annexes].entries()) {
      const parts = MESSAGE_FILE_RE.exec(f ?? '');
      if (!parts || !(f ?? '').includes(`${idActe}-1-1_`)) {
        return ano('004', `ODT-VERIF-04 : le nom du fichier « ${f} » ne correspond pas à l’identifiant ${idActe}.`);
      }
      const typologie = parts[1];
      if (this.classification && a.codeNatureActe !== undefined && hasTypologie(this.classification, a.codeNatureActe)) {
        if (!typologie || !isTypologieValidForNature(this.classification, a.codeNatureActe, typologie)) {
          return ano(
            '004',
            `ODT-VERIF-06 : le type de pièce « ${typologie ?? '(absent)'} » du fichier ${i === 0 ? 'de l’acte' : `annexe ${i}`} n’est pas valide pour la nature ${abbr}.`,
          );
        }
      }
      const ext = /\.([A-Za-z0-9]+)$/.exec(f ?? '')?.[1]?.toLowerCase() ?? '';
      if (!EXT_OK.has(ext)) return ano('004', `ODT-VERIF-04 : le fichier « ${f} » n’est pas dans un format accepté (PDF, XML, JPG, PNG).`);
      const entry = read.entries.find((x) => x.name === f);
      if (ext === 'pdf' && entry && !entry.data.subarray(0, 1024).includes(Buffer.from('%PDF-'))) {
        return ano('004', `ODT-VERIF-04 : le fichier « ${f} » n’est pas un PDF.`);
      }
    }
    if (a.classificationDateVersion !== this.classificationDate) {
      return ano('002', `ODT-VERIF-01 : Votre acte a été transmis avec une date de classification qui n'est pas à jour (${a.classificationDateVersion} au lieu de ${this.classificationDate}).`);
    }
    if (this.classification && !findMatiere(this.classification, a.classification)) {
      return ano('003', `ODT-VERIF-05 : la matière ${a.classification.join('.')} n’existe pas dans la classification en vigueur.`);
    }
    const existing = this.state.actes[idActe];
    if (existing && existing.status !== 'annule') {
      return ano('001', `ODT-VERIF-02 : un acte portant l’identifiant ${idActe} a déjà été transmis le ${existing.receivedAt} et n’a pas été annulé.`);
    }
    this.state.actes[idActe] = {
      idActe,
      status: 'recu',
      receivedAt: today,
      archiveName,
      siren: e.siren!,
      departement: e.departement!,
      arrondissement: e.arrondissement ?? '0',
      adressesRetour: to,
      courriers: [],
      reponses: [],
    };
    const xml = arActe(idActe, today, a, this.classificationDate);
    return [this.xmlMail(to, 'ARActe', `${base}-1-2_${this.state.counter}.xml`, xml, `Accusé de réception de l’acte ${idActe}, reçu le ${today}.`, idActe)];
  }

  // -------------------------------------------------------------------------------------------------
  // Préfecture-initiated letters

  sendCourrier(kind: CourrierKind, idActe: string, body: Record<string, string | undefined>): Promise<SentRecord> {
    return this.serial(async () => {
      const a = this.state.actes[idActe];
      if (!a) throw new AppError('NOT_FOUND', `Acte ${idActe} inconnu du simulateur.`, `unknown acte ${idActe}`);
      const today = this.today();
      const code = COURRIER_CODES[kind];
      const base = `${idActe}-${code}`;
      const docName = `${base}_1.pdf`;
      const msgName = `${base}_0.xml`;
      const pdf = simplePdf(`Préfecture (simulateur) – ${kind}`, [
        `Acte : ${idActe}`,
        `Date : ${today}`,
        body.texte ?? body.motif ?? body.descriptionPieces ?? body.natureIllegalite ?? 'Courrier du contrôle de légalité.',
      ]);
      const xml = courrier(kind, {
        idActe,
        dateCourrierPref: today,
        documentName: docName,
        ...(body.descriptionPieces ? { descriptionPieces: body.descriptionPieces } : {}),
        ...(body.motif ? { motif: body.motif } : {}),
        ...(body.natureIllegalite ? { natureIllegalite: body.natureIllegalite } : {}),
        ...(body.dateDepot ? { dateDepot: body.dateDepot } : {}),
      });
      const n = this.next();
      const arr = a.arrondissement && a.arrondissement !== '0' ? a.arrondissement : '';
      const envName = `EACT--SPREF${a.departement}${arr}-${a.siren}-${compactDate(today)}-${n}.xml`;
      const env = enveloppeMISILLCL(a.departement, arr || undefined, a.siren, [msgName]);
      const archive = await createTarGz(
        [
          { name: envName, data: env },
          { name: msgName, data: xml },
          { name: docName, data: pdf },
        ],
        new Date(),
      );
      a.courriers.push({ kind, code, dateCourrierPref: today, sentAt: new Date().toISOString() });
      const rec = await this.sendMail({
        to: a.adressesRetour,
        subject: `[ACTES] ${kind} ${idActe}`,
        text: `La préfecture vous adresse un message (${kind}, ${code}) concernant l’acte ${idActe}.`,
        kind,
        idActe,
        attachments: [{ filename: envName.replace(/\.xml$/, '.tar.gz'), content: archive, contentType: 'application/x-gzip' }],
      });
      return rec;
    });
  }

  // -------------------------------------------------------------------------------------------------
  // Servers

  async start(): Promise<RunningActesSimulator> {
    const ctes = Fastify({
      https: { key: this.o.tlsKey, cert: this.o.tlsCert, ca: this.o.clientCa, requestCert: true, rejectUnauthorized: true },
      bodyLimit: 210 * 1024 * 1024,
    });
    await ctes.register(multipart, { limits: { fileSize: 210 * 1024 * 1024, files: 1, fields: 10 } });
    ctes.post('/*', async (req, reply) => {
      const sock = req.raw.socket as TLSSocket;
      if (!sock.authorized) return reply.code(403).type('text/plain; charset=utf-8').send('Certificat client refusé.\n');
      const peer = sock.getPeerCertificate();
      if (!req.isMultipart()) return reply.code(400).type('text/plain; charset=utf-8').send('Requête multipart/form-data attendue (champ « file »).\n');
      const file = await req.file();
      if (!file || file.fieldname !== 'file') {
        return reply.code(400).type('text/plain; charset=utf-8').send('Champ « file » absent.\n');
      }
      const bytes = await file.toBuffer();
      const r = await this.receive(file.filename, bytes, peer?.subject?.CN ? String(peer.subject.CN) : undefined);
      if (this.o.responseDelayMs) await new Promise((res) => setTimeout(res, this.o.responseDelayMs));
      return reply.code(r.status).type('text/plain; charset=utf-8').send(r.body);
    });
    const admin = this.adminServer();
    await ctes.listen({ host: '127.0.0.1', port: this.o.port });
    await admin.listen({ host: '127.0.0.1', port: this.o.adminPort });
    const cport = (ctes.server.address() as AddressInfo).port;
    const aport = (admin.server.address() as AddressInfo).port;
    return {
      ctesUrl: `https://127.0.0.1:${cport}/ctes`,
      adminUrl: `http://127.0.0.1:${aport}/admin`,
      close: async () => {
        await ctes.close();
        await admin.close();
        await Promise.allSettled([...this.pending]);
        this.mailer.close();
        this.flush();
      },
    };
  }

  private adminServer(): FastifyInstance {
    const admin = Fastify();
    admin.get('/admin', async () => ({
      classificationDate: this.classificationDate,
      actes: Object.keys(this.state.actes).length,
      received: this.state.received.length,
      sent: this.state.sent.length,
    }));
    admin.get('/admin/received', async () => this.state.received);
    admin.get('/admin/sent', async () => this.state.sent);
    admin.get('/admin/actes', async () => Object.values(this.state.actes));
    admin.post('/admin/fail-next', async (req) => {
      const b = (req.body ?? {}) as { status?: number; count?: number };
      this.failNext = { status: b.status ?? 503, count: b.count ?? 1 };
      return this.failNext;
    });
    const routes: Record<string, CourrierKind> = {
      'courrier-simple': 'CourrierSimple',
      'demande-pieces': 'DemandePieceComplementaire',
      'lettre-observations': 'LettreObservations',
      defere: 'DefereTA',
    };
    admin.post('/admin/actes/:idActe/:courrier', async (req, reply) => {
      const { idActe, courrier: c } = req.params as { idActe: string; courrier: string };
      const kind = routes[c];
      if (!kind) return reply.code(404).send({ error: `courrier inconnu « ${c} » (${Object.keys(routes).join(', ')})` });
      try {
        return await this.sendCourrier(kind, idActe, (req.body ?? {}) as Record<string, string>);
      } catch (e) {
        if (e instanceof AppError) return reply.code(e.status).send({ error: e.messageFr });
        throw e;
      }
    });
    return admin;
  }
}

export async function startActesSimulator(o: ActesSimulatorOptions): Promise<RunningActesSimulator> {
  return new ActesPrefectureSimulator(o).start();
}
