/** French wording of libxml2's XML Schema messages (the English original is kept for logs). */
const q = (s: string) => `« ${s} »`;

const RULES: [RegExp, (...m: string[]) => string][] = [
  [/^This element is not expected\. Expected is one of \( (.*) \)\.?$/, (l) => `élément inattendu ; attendu à cet endroit : l’un de ${l}.`],
  [/^This element is not expected\. Expected is \( (.*) \)\.?$/, (l) => `élément inattendu ; attendu à cet endroit : ${l}.`],
  [/^This element is not expected\.?$/, () => 'élément inattendu à cet endroit.'],
  [/^Missing child element\(s\)\. Expected is one of \( (.*) \)\.?$/, (l) => `élément(s) enfant(s) manquant(s) ; attendu : l’un de ${l}.`],
  [/^Missing child element\(s\)\. Expected is \( (.*) \)\.?$/, (l) => `élément(s) enfant(s) manquant(s) ; attendu : ${l}.`],
  [/^\[facet 'pattern'\] The value '(.*)' is not accepted by the pattern '(.*)'\.?$/, (v, p) => `la valeur ${q(v)} ne respecte pas le format ${q(p)}.`],
  [/^\[facet 'enumeration'\] The value '(.*)' is not an element of the set \{(.*)\}\.?$/, (v, s) => `la valeur ${q(v)} n’est pas dans la liste autorisée {${s}}.`],
  [/^\[facet 'maxLength'\] The value '(.*)' has a length of '(\d+)'; this exceeds the allowed maximum length of '(\d+)'\.?$/, (v, n, m) => `la valeur ${q(v)} fait ${n} caractères, au-delà du maximum de ${m}.`],
  [/^\[facet 'minLength'\] The value '(.*)' has a length of '(\d+)'; this underruns the allowed minimum length of '(\d+)'\.?$/, (v, n, m) => `la valeur ${q(v)} fait ${n} caractères, en deçà du minimum de ${m}.`],
  [/^\[facet '(\w+)'\] The value '(.*)' (.*)$/, (f, v) => `la valeur ${q(v)} ne respecte pas la contrainte ${q(f)} du schéma.`],
  [/^'(.*)' is not a valid value of the (?:atomic|local atomic|union|list) type '(.*)'\.?$/, (v, t) => `la valeur ${q(v)} n’est pas valide pour le type ${q(t)}.`],
  [/^'(.*)' is not a valid value of the local atomic type\.?$/, (v) => `la valeur ${q(v)} n’est pas valide.`],
  [/^The attribute '(.*)' is required but missing\.?$/, (a) => `l’attribut obligatoire ${q(a)} est absent.`],
  [/^The attribute '(.*)' is not allowed\.?$/, (a) => `l’attribut ${q(a)} n’est pas autorisé.`],
  [/^No matching global declaration available for the validation root\.?$/, () => 'aucune déclaration de cet élément racine dans le schéma.'],
  [/^Character content other than whitespace is not allowed because the content type is 'element-only'\.?$/, () => 'du texte est présent là où seuls des éléments sont permis.'],
  [/^Element content is not allowed, because the content type is a simple type definition\.?$/, () => 'des éléments enfants sont présents là où seule une valeur simple est permise.'],
  [/^The value '(.*)' is not valid\.?$/, (v) => `la valeur ${q(v)} n’est pas valide.`],
];

export function xsdMessageFr(raw: string): string {
  const msg = raw.trim();
  const m = /^Element '([^']*)'(?:, attribute '([^']*)')?: (.*)$/s.exec(msg);
  let head = '';
  let rest = msg;
  if (m) {
    head = `Élément ${q(m[1] ?? '')}${m[2] ? `, attribut ${q(m[2])}` : ''} : `;
    rest = m[3] ?? '';
  }
  for (const [re, f] of RULES) {
    const r = re.exec(rest);
    if (r) return head + f(...r.slice(1).map((x) => x ?? ''));
  }
  return `${head}non conforme au schéma (${rest}).`;
}
