import { CustomVariableSupport, DataQueryRequest, DataQueryResponse } from '@grafana/data';
import { getTemplateSrv } from '@grafana/runtime';
import { from, Observable } from 'rxjs';
import { VariableQueryEditor } from './components/VariableQueryEditor';
import type { DataSource } from './datasource';
import { valuesFrame } from './frames';
import { interpolateFilters } from './interpolate';
import type { VariableQuery } from './types';

/** Template variables: the values of one dimension in the dashboard range, optionally filtered (`$team`). */
export class ChargebackVariableSupport extends CustomVariableSupport<DataSource, VariableQuery> {
  editor = VariableQueryEditor;

  constructor(private readonly datasource: DataSource) {
    super();
  }

  query(request: DataQueryRequest<VariableQuery>): Observable<DataQueryResponse> {
    const [query] = request.targets;
    const range = { fromMs: request.range.from.valueOf(), toMs: request.range.to.valueOf() };
    const filters = interpolateFilters(query?.filters, getTemplateSrv(), request.scopedVars);
    return from(
      query
        ? this.datasource
            .dimensionValues(query.dimension ?? 'user', range, filters)
            .then((values) => ({ data: [valuesFrame(values)] }))
        : Promise.resolve({ data: [] })
    );
  }
}
