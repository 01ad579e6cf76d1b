import { useEffect, useState } from 'react';
import { Input } from '@codegouvfr/react-dsfr/Input';

/** "2026-11-23" → "23/11/2026" ('' stays ''). */
export function isoToFrench(iso: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  return m ? `${m[3]}/${m[2]}/${m[1]}` : '';
}

/** "23/11/2026" (also 23.11.2026, 23-11-2026, 1/2/2026) → "2026-11-23"; null if it is not a real day. */
export function frenchToIso(text: string): string | null {
  const m = /^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\s*$/.exec(text);
  if (!m) return null;
  const [d, mo, y] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return null;
  return `${y}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/**
 * A day typed in the French format, JJ/MM/AAAA, whatever the browser's language (a native date field follows
 * the browser's locale: 11/23/2026 in an English Chromium). The value in and out is ISO ("2026-11-23", or ''
 * while the field is empty or not a valid day yet; a malformed day is pointed out when the field is left).
 */
export function DateInput({ label, hintText, value, onChange, required, state, stateRelatedMessage }: { label: string; hintText?: string; value: string; onChange: (iso: string) => void; required?: boolean; state?: 'error' | 'default'; stateRelatedMessage?: string }) {
  const [text, setText] = useState(() => isoToFrench(value));
  const [touched, setTouched] = useState(false);
  useEffect(() => {
    // A value set from outside (reset, default): shown; the day being typed is left alone.
    if ((frenchToIso(text) ?? '') !== value) setText(isoToFrench(value));
  }, [value]);
  const malformed = touched && text.trim() !== '' && frenchToIso(text) === null;
  return (
    <Input
      label={label}
      hintText={`${hintText ? `${hintText}. ` : ''}Format attendu : JJ/MM/AAAA`}
      state={malformed ? 'error' : state}
      stateRelatedMessage={malformed ? 'Date invalide : saisissez le jour, le mois et l’année au format JJ/MM/AAAA, par exemple 23/11/2026.' : stateRelatedMessage}
      nativeInputProps={{
        type: 'text',
        inputMode: 'numeric',
        autoComplete: 'off',
        required,
        value: text,
        onChange: (e) => {
          setText(e.target.value);
          onChange(frenchToIso(e.target.value) ?? '');
        },
        onBlur: () => setTouched(true),
      }}
    />
  );
}
