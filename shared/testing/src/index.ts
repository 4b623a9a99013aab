export * from './databases';
export * from './clients';
export * from './tcp-proxy';
export * from './otlp-receiver';
export * from './processes';
export * from './harness';
export * from './platform';
