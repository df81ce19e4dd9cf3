// Kubernetes label selectors (matchLabels AND matchExpressions), as the API server evaluates them:
// the auto-fence scope (`managementSelectors`) selects namespaces with them.

import type { LabelSelector } from '../protocol/metacontroller.js';

/** Whether labels satisfy a selector; the empty selector `{}` selects everything. */
export function selects(selector: LabelSelector, labels: Record<string, string> = {}): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[key] !== value) return false;
  }
  return (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
    const has = Object.hasOwn(labels, key);
    switch (operator) {
      case 'In':
        return has && values.includes(labels[key]);
      case 'NotIn':
        return !has || !values.includes(labels[key]);
      case 'Exists':
        return has;
      case 'DoesNotExist':
        return !has;
    }
  });
}
