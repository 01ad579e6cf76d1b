/**
 * The préfecture's classification ("nomenclature des matières", message 7-2 RetourClassification,
 * PROTOCOLS A.7): a tree of matières on up to five levels, and per nature of acte the typology codes
 * (`TypePJNatureActe`) its documents may carry.
 */
import type { Element } from '@xmldom/xmldom';
import { AppError } from '../../shared/errors.ts';
import { parseXmlDom } from '../../shared/xml/safe-xml.ts';
import { attrLocal, childrenLocal, firstChildLocal, textOf } from '../messages/dom.ts';

export interface MatiereNode {
  code: number;
  libelle: string;
  /** 1..5 */
  level: number;
  /** Codes from level 1 down to this node, e.g. [7, 1, 2]. */
  path: number[];
  children: MatiereNode[];
}

export interface TypePJ {
  code: string;
  libelle: string;
}

export interface NatureClassification {
  /** 1..6 (may be missing in malformed files: then NaN is never stored, the nature is skipped). */
  code: number;
  libelle: string;
  typeAbrege: string;
  /** Empty in pre-2018 classifications (no typology). */
  typesPJ: TypePJ[];
}

export interface Classification {
  /** AAAA-MM-JJ, the version the préfecture holds (echoed as ClassificationDateVersionEnCours). */
  dateClassification: string;
  natures: NatureClassification[];
  matieres: MatiereNode[];
}

function parseMatiere(el: Element, level: number, parentPath: number[]): MatiereNode | undefined {
  const code = Number(attrLocal(el, 'CodeMatiere'));
  if (!Number.isInteger(code)) return undefined;
  const path = [...parentPath, code];
  const node: MatiereNode = { code, libelle: attrLocal(el, 'Libelle') ?? '', level, path, children: [] };
  if (level < 5) {
    for (const child of childrenLocal(el, `Matiere${level + 1}`)) {
      const c = parseMatiere(child, level + 1, path);
      if (c) node.children.push(c);
    }
  }
  return node;
}

/** Reads a RetourClassification root element (lenient: works on the legacy form without typology). */
export function classificationFromElement(root: Element): Classification {
  const date = textOf(firstChildLocal(root, 'DateClassification'));
  const natures: NatureClassification[] = [];
  const naturesEl = firstChildLocal(root, 'NaturesActes');
  for (const n of naturesEl ? childrenLocal(naturesEl, 'NatureActe') : []) {
    const code = Number(attrLocal(n, 'CodeNatureActe'));
    if (!Number.isInteger(code)) continue;
    natures.push({
      code,
      libelle: attrLocal(n, 'Libelle') ?? '',
      typeAbrege: attrLocal(n, 'TypeAbrege') ?? '',
      typesPJ: childrenLocal(n, 'TypePJNatureActe').map((t) => ({
        code: attrLocal(t, 'CodeTypePJ') ?? '',
        libelle: attrLocal(t, 'Libelle') ?? '',
      })),
    });
  }
  natures.sort((a, b) => a.code - b.code);
  const matieres: MatiereNode[] = [];
  const matieresEl = firstChildLocal(root, 'Matieres');
  for (const m of matieresEl ? childrenLocal(matieresEl, 'Matiere1') : []) {
    const node = parseMatiere(m, 1, []);
    if (node) matieres.push(node);
  }
  return { dateClassification: date ?? '', natures, matieres };
}

/** Parses the bytes of a RetourClassification (7-2), UTF-8 or ISO-8859-1. */
export function parseRetourClassification(bytes: Uint8Array): Classification {
  const { doc } = parseXmlDom(bytes);
  const root = doc.documentElement!;
  if (root.localName !== 'RetourClassification') {
    throw new AppError(
      'BAD_INPUT',
      `Ce fichier n’est pas une classification ACTES (élément racine « ${root.localName} » au lieu de RetourClassification).`,
      `not a RetourClassification: root ${root.localName}`,
    );
  }
  return classificationFromElement(root);
}

/** `"7.1.2"` → `[7, 1, 2]`; undefined if it is not 1 to 5 dot-separated positive integers. */
export function parseMatiereCode(code: string): number[] | undefined {
  if (!/^[0-9]{1,3}(\.[0-9]{1,3}){0,4}$/.test(code.trim())) return undefined;
  return code.trim().split('.').map(Number);
}

export function formatMatiereCode(path: readonly number[]): string {
  return path.join('.');
}

export function findMatiere(cls: Classification, path: readonly number[]): MatiereNode | undefined {
  let level: MatiereNode[] = cls.matieres;
  let found: MatiereNode | undefined;
  for (const code of path) {
    found = level.find((m) => m.code === code);
    if (!found) return undefined;
    level = found.children;
  }
  return found;
}

export function matierePathExists(cls: Classification, path: readonly number[]): boolean {
  return path.length >= 1 && path.length <= 5 && findMatiere(cls, path) !== undefined;
}

/** Labels from level 1 down, e.g. ["Finances locales", "Décisions budgétaires"]. */
export function matiereLabels(cls: Classification, path: readonly number[]): string[] | undefined {
  const labels: string[] = [];
  let level: MatiereNode[] = cls.matieres;
  for (const code of path) {
    const m = level.find((x) => x.code === code);
    if (!m) return undefined;
    labels.push(m.libelle);
    level = m.children;
  }
  return labels;
}

export function typologiesForNature(cls: Classification, natureCode: number): TypePJ[] | undefined {
  return cls.natures.find((n) => n.code === natureCode)?.typesPJ;
}

/** True when this classification carries typology codes for that nature (false for pre-2018 ones). */
export function hasTypologie(cls: Classification, natureCode: number): boolean {
  return (typologiesForNature(cls, natureCode)?.length ?? 0) > 0;
}

export function isTypologieValidForNature(cls: Classification, natureCode: number, typologie: string): boolean {
  return typologiesForNature(cls, natureCode)?.some((t) => t.code === typologie) ?? false;
}

/** Every node, depth first, with its dotted code: handy for select lists. */
export function flattenMatieres(cls: Classification): { code: string; path: number[]; libelle: string; level: number }[] {
  const out: { code: string; path: number[]; libelle: string; level: number }[] = [];
  const walk = (nodes: MatiereNode[]): void => {
    for (const n of nodes) {
      out.push({ code: formatMatiereCode(n.path), path: n.path, libelle: n.libelle, level: n.level });
      walk(n.children);
    }
  };
  walk(cls.matieres);
  return out;
}
