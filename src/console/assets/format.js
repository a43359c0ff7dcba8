// How figures read in the console. Money stays in integer minor units until
// it becomes text here; no floating-point arithmetic touches an amount.

/** 123456 -> "1,234.56 USD" (two minor digits, as the platform's currency). */
export function money(minor, currency = "") {
  if (minor === null || minor === undefined) return "—";
  const negative = minor < 0;
  const digits = String(Math.abs(minor)).padStart(3, "0");
  const whole = digits.slice(0, -2).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const text = `${negative ? "−" : ""}${whole}.${digits.slice(-2)}`;
  return currency ? `${text} ${currency}` : text;
}

/** An RFC 3339 time as "2026-12-06 14:05 UTC". */
export function when(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** Basis points as a percentage: 250 -> "2.5%". */
export function bps(value) {
  if (value === null || value === undefined) return "—";
  const whole = Math.trunc(value / 100);
  const rest = String(value % 100).padStart(2, "0").replace(/0+$/, "");
  return rest ? `${whole}.${rest}%` : `${whole}%`;
}

export function count(n) {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** snake_case -> "Snake case", for statuses and codes shown as words. */
export function words(text) {
  if (!text) return "";
  const spaced = String(text).replace(/[_.]/g, " ");
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
}
