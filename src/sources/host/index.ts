export { HostCollector, DEFAULT_EXCLUDES, type HostCollection, type HostCollectorOptions, type HostMetricFamily, type HostMetricType, type HostSample } from './collector.js';
export { collectionToSeries, encodeCollection, REMOTE_WRITE_V1_HEADERS, type EncodedCollection, type HostTargetLabels } from './remote-write.js';
