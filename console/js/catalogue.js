/**
 * The words for the API's values: job types, frequency types, weekdays, overlap policies, waiting
 * and skip reasons (GET /v1/catalogue). Loaded once after sign-in; the console keeps no list of its
 * own, so a value the API adds shows with its words and no console change.
 */

let current;
let loading;

/** Loads the catalogue once; a failed load is tried again on the next call. */
export function loadCatalogue(api) {
  if (current) return Promise.resolve(current);
  loading ??= api.getCatalogue().then(
    (catalogue) => useCatalogue(catalogue),
    (error) => {
      loading = undefined;
      throw error;
    },
  );
  return loading;
}

/** Sets the catalogue directly: what loadCatalogue does with the API's answer (and tests with theirs). */
export function useCatalogue(catalogue) {
  current = catalogue;
  return catalogue;
}

export function catalogue() {
  if (!current) throw new Error('The catalogue is not loaded: sign in first.');
  return current;
}

/** The entry of `value` in one of the catalogue's lists (`jobTypes`, `weekdays`, ...), if any. */
export function entryOf(list, value) {
  return current?.[list]?.find((entry) => entry.value === value);
}

/** The label of `value` in a list; the value itself when the catalogue does not know it. */
export function labelOf(list, value) {
  return entryOf(list, value)?.label ?? String(value ?? '');
}

/** `[value, label]` pairs of a list, as a <select> takes them. */
export function optionsOf(list) {
  return catalogue()[list].map((entry) => [entry.value, entry.label]);
}

/**
 * The job types a schedule may use here. A job type the stage refuses (SYNTHETIC in production)
 * is not offered, except as `kept`: a job the schedule already has, so that a row shows what it is.
 */
export function jobTypeOptions(kept) {
  return catalogue()
    .jobTypes.filter((type) => type.available || type.value === kept)
    .map((type) => [type.value, type.available ? type.label : `${type.label} (not run in this stage)`]);
}
