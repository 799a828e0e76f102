/**
 * What changed between two saved versions of a schedule, field by field (`jobs.1.type`:
 * before → after). Pure functions (no DOM), unit-tested in Node. Fields the server stamps on
 * every save (version, times, nextRuns) are not changes anyone made.
 */

const STAMPED = new Set(['version', 'createdAt', 'updatedAt', 'savedAt', 'savedBy', 'nextRuns', 'scheduleId', 'clientId']);

function isObject(value) {
  return value !== null && typeof value === 'object';
}

/** Leaf values by dotted path; an empty object or array is a leaf, so adding or clearing one shows. */
function flatten(value, path, into) {
  if (isObject(value) && Object.keys(value).length > 0) {
    for (const [key, inner] of Object.entries(value)) flatten(inner, path ? `${path}.${key}` : key, into);
  } else into.set(path, value);
  return into;
}

function leaves(schedule) {
  const top = Object.fromEntries(Object.entries(schedule ?? {}).filter(([key]) => !STAMPED.has(key)));
  return flatten(top, '', new Map());
}

/**
 * `[{ path, change: 'changed' | 'added' | 'removed', before, after }]` in the order the fields
 * appear (the older version's first, then fields only the newer one has).
 */
export function diffSchedules(older, newer) {
  const before = leaves(older);
  const after = leaves(newer);
  const changes = [];
  for (const [path, value] of before) {
    if (!after.has(path)) changes.push({ path, change: 'removed', before: value, after: undefined });
    else if (JSON.stringify(after.get(path)) !== JSON.stringify(value)) changes.push({ path, change: 'changed', before: value, after: after.get(path) });
  }
  for (const [path, value] of after) if (!before.has(path)) changes.push({ path, change: 'added', before: undefined, after: value });
  return changes;
}

/** A value as the diff shows it: strings as they are, the rest as JSON, absence as a dash. */
export function diffValue(value) {
  if (value === undefined) return '—';
  return typeof value === 'string' ? value : JSON.stringify(value);
}
