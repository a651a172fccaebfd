// The events aggregate, exported by the package index under this (older) file name.
export * from './event.repository';
export * from './event.serializer';
