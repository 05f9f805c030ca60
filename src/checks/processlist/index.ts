export {
  PROCESSLIST_STREAM_PREFIX,
  ProcesslistRecorder,
  processlistEvents,
  processlistStream,
  searchProcesslist,
  type ProcesslistEntry,
  type ProcesslistSearch,
} from './processlist-recorder.js';
