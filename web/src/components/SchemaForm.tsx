import { Input } from '@codegouvfr/react-dsfr/Input';
import { Select } from '@codegouvfr/react-dsfr/Select';
import { Checkbox } from '@codegouvfr/react-dsfr/Checkbox';
import type { JsonSchema } from '../types';
import { DateInput } from './DateInput';

/**
 * A form generated from a dossier type's JSON Schema (the same zod schema the API validates with).
 * Supports what the types use: strings (with enum → list), numbers, booleans, arrays of strings, dates.
 */
export type FormValues = Record<string, string | boolean>;

function kind(s: JsonSchema): 'string' | 'number' | 'boolean' | 'array' | 'enum' | 'date' {
  const variants = s.anyOf?.filter((v) => v.type !== 'null') ?? [];
  const base = variants.length === 1 ? { ...s, ...variants[0] } : s;
  const t = Array.isArray(base.type) ? base.type.find((x) => x !== 'null') : base.type;
  if (base.enum) return 'enum';
  if (t === 'integer' || t === 'number') return 'number';
  if (t === 'boolean') return 'boolean';
  if (t === 'array') return 'array';
  if (base.format === 'date') return 'date';
  return 'string';
}

export function initialValues(schema: JsonSchema): FormValues {
  const v: FormValues = {};
  for (const [k, s] of Object.entries(schema.properties ?? {})) {
    const kd = kind(s);
    if (kd === 'boolean') v[k] = s.default === true;
    else if (kd === 'array') v[k] = Array.isArray(s.default) ? (s.default as unknown[]).join(', ') : '';
    else v[k] = s.default === undefined || s.default === null ? '' : String(s.default);
  }
  return v;
}

/** Turns the form's strings into the JSON the schema expects; empty optional fields are left out. */
export function toMetadata(schema: JsonSchema, values: FormValues): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, s] of Object.entries(schema.properties ?? {})) {
    const v = values[k];
    const kd = kind(s);
    if (kd === 'boolean') out[k] = Boolean(v);
    else if (kd === 'array') out[k] = String(v ?? '').split(',').map((x) => x.trim()).filter(Boolean);
    else if (v === '' || v === undefined) continue;
    else if (kd === 'number') out[k] = Number(String(v).replace(',', '.'));
    else out[k] = v;
  }
  return out;
}

function labelOf(key: string, s: JsonSchema): string {
  return s.title ?? s.description ?? key;
}

export function SchemaForm({ schema, values, onChange, errors, idPrefix }: { schema: JsonSchema; values: FormValues; onChange: (v: FormValues) => void; errors: Record<string, string>; idPrefix: string }) {
  const required = new Set(schema.required ?? []);
  return (
    <>
      {Object.entries(schema.properties ?? {}).map(([key, s]) => {
        const kd = kind(s);
        const req = required.has(key) && s.default === undefined;
        const label = `${labelOf(key, s)}${req ? ' (obligatoire)' : ''}`;
        const err = errors[`metadata.${key}`] ?? errors[key];
        const state = err ? ('error' as const) : ('default' as const);
        const set = (v: string | boolean) => onChange({ ...values, [key]: v });
        const id = `${idPrefix}-${key}`;
        if (kd === 'boolean') {
          return <Checkbox key={key} state={state} stateRelatedMessage={err} options={[{ label: labelOf(key, s), nativeInputProps: { id, checked: Boolean(values[key]), onChange: (e) => set(e.target.checked) } }]} />;
        }
        if (kd === 'enum') {
          return (
            <Select key={key} label={label} state={state} stateRelatedMessage={err} nativeSelectProps={{ id, required: req, value: String(values[key] ?? ''), onChange: (e) => set(e.target.value) }}>
              <option value="">Choisir</option>
              {(s.enum ?? []).map((o) => (
                <option key={String(o)} value={String(o)}>{String(o)}</option>
              ))}
            </Select>
          );
        }
        if (kd === 'date') return <DateInput key={key} label={label} state={state} stateRelatedMessage={err} required={req} value={String(values[key] ?? '')} onChange={(v) => set(v)} />;
        const hint = kd === 'array' ? 'Plusieurs valeurs possibles, séparées par des virgules' : s.maxLength ? `${s.maxLength} caractères au plus` : undefined;
        return (
          <Input
            key={key}
            label={label}
            hintText={hint}
            state={state}
            stateRelatedMessage={err}
            nativeInputProps={{ id, required: req, type: kd === 'number' ? 'number' : 'text', inputMode: kd === 'number' ? 'decimal' : undefined, value: String(values[key] ?? ''), onChange: (e) => set(e.target.value) }}
          />
        );
      })}
    </>
  );
}
