// Types of images.mjs, for the tests that share its cached images.
export declare const CACHE_ROOT: string;

export interface CachedLayer {
  /** The gzip blob's path. */
  file: string;
  digest: string;
  diffId: string;
  size: number;
  uncompressed: number;
}

export interface CachedImage {
  dir: string;
  config: Buffer;
  configDigest: string;
  layers: CachedLayer[];
}

export declare function cached(name: string, make: (tmp: string) => Promise<void>): Promise<string>;
export declare function debianRootfs(): Promise<string>;
export declare function debianImage(): Promise<CachedImage>;
export declare function smallFilesImage(): Promise<CachedImage>;
