export * from './vendor';
export * from './errors';
export * from './clock';
export * from './restore-job';
export * from './model';
export * from './static-catalog';
export * from './ids';
export * from './events';
