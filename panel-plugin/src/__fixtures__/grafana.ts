/**
 * Stands in for what Grafana does before a panel renders: registers the option editors and standard field
 * options (unit, decimals, thresholds, colour, links) that Grafana's app registers at start, then applies the
 * panel's field config defaults to the frames, which gives every field its display processor and data links.
 */
import {
  applyFieldOverrides,
  standardEditorsRegistry,
  standardFieldConfigEditorRegistry,
  type DataFrame,
  type FieldConfigSource,
  type GrafanaTheme2,
  type InterpolateFunction,
  type PanelPlugin,
} from '@grafana/data';

const STANDARD_OPTIONS = ['unit', 'decimals', 'thresholds', 'color', 'links', 'displayName'];
/** The option editors this panel's builder uses; Grafana's real ones are React components in its app. */
const STANDARD_EDITORS = ['number', 'text', 'boolean', 'radio', 'field-name'];

export function registerStandardOptions(): void {
  for (const id of STANDARD_EDITORS) {
    if (!standardEditorsRegistry.getIfExists(id)) {
      standardEditorsRegistry.register({ id, name: id, editor: () => null });
    }
  }
  for (const id of STANDARD_OPTIONS) {
    if (!standardFieldConfigEditorRegistry.getIfExists(id)) {
      standardFieldConfigEditorRegistry.register({
        id,
        path: id,
        name: id,
        process: (value: unknown) => value,
        shouldApply: () => true,
        editor: () => null,
        override: () => null,
      });
    }
  }
}

export function processFrames(
  frames: DataFrame[],
  plugin: PanelPlugin,
  theme: GrafanaTheme2,
  fieldConfig?: FieldConfigSource
): DataFrame[] {
  registerStandardOptions();
  return applyFieldOverrides({
    data: frames,
    fieldConfig: fieldConfig ?? plugin.fieldConfigDefaults,
    fieldConfigRegistry: plugin.fieldConfigRegistry,
    replaceVariables: interpolateDataFields,
    theme,
  });
}

/**
 * The one data-link macro the tests use, `${__data.fields.<name>}`, resolved the way Grafana's template
 * service does: from the frame and row in the link's data context.
 */
const interpolateDataFields: InterpolateFunction = (value, scopedVars) => {
  const context = scopedVars?.__dataContext?.value;
  return value.replace(/\$\{__data\.fields\.([^}]+)\}/g, (macro, name: string) => {
    const field = context?.frame?.fields.find((f) => f.name === name);
    return field && context?.rowIndex !== undefined ? String(field.values[context.rowIndex]) : macro;
  });
};
