// The Redis pages, loaded together as one chunk the first time a Redis page opens (App.tsx).
export { RedisBrowser } from './RedisBrowser'
export { PubSubPage } from './PubSubPage'
export { ServerPage } from './ServerPage'
export { CommandLinePage } from './CommandLinePage'
export { SlowlogPage, ClientsPage, AnalysisPage } from './OpsPages'
