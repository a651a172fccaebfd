export { GraphAdapter, graphDescriptor } from './graph.adapter';
export { GRAPH_CAPABILITIES, GRAPH_LIMITS } from './graph.capabilities';
export { GRAPH_CREDENTIAL_FIELDS, GRAPH_DEFAULT_ENDPOINT } from './graph.credentials';
