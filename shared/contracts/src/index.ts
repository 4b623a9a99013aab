export * from './verify';
export * from './files';
export * from './diff';
