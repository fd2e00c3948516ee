// The registry client room: pull and push images over the OCI Distribution API (Docker Hub,
// distribution, any OCI registry), self-contained so the engine can wire it in later.
//
// Entry points (all take a RegistryClient, made once per engine with its registry config):
//
//   new RegistryClient({ config?: RegistryConfig, credentials?: CredentialSource, clock?, retry? })
//   resolveImage(client, ref, { platform?: 'os/arch[/variant]' })
//     → { reference, manifestDigest, manifest, manifestBytes, indexDigest?, config, configDigest,
//         configBytes, layers: [{ digest, size, mediaType, diffId }], platform, endpoints }
//   fetchLayer(client, image, layer, { onProgress? })
//     → { stream: Readable (uncompressed tar; ends only when verified), done: Promise<{ digest, diffId, size, uncompressedSize }> }
//   pushImage(client, ref, { config: { data }, layers: PushBlobSource[], format? }, { chunkThreshold?, onProgress? })
//     → { digest, size, mediaType, manifest, blobs: [{ descriptor, outcome }] }
//   pushBlob / pushManifest / pushIndex — the pieces of pushImage, for indexes and pre-built manifests
//   login(client, server, username, password) → { Status: 'Login Succeeded', IdentityToken? }
//
// Credentials: dockerConfigCredentials({ dir? }) reads ~/.docker/config.json (or $DOCKER_CONFIG)
// with its credential helpers; staticCredentials(map) serves the API's X-Registry-Auth.
// Every failure is a RegistryError with a `kind` (not-found, unauthorized, denied,
// digest-mismatch, unreachable, tls, unsupported, platform-not-found, invalid-content,
// invalid-reference, registry), the reference, the host and what the registry said.
//
// Module map: names (references), config (endpoints, insecure, proxy), transport (HTTP),
// retry (back-off), auth (challenges, tokens), credentials (config.json, helpers), client
// (ping, authorised requests, error mapping), manifest (media types, platforms, config),
// blobs (verified, resumable downloads), decompress (gzip/zstd, diff ids), pull, push, login.
export { RegistryClient, type RegistryClientOptions } from './client.js';
export type { RegistryConfig, ProxyConfig, Endpoint } from './config.js';
export { isInsecure } from './config.js';
export { dockerConfigCredentials, staticCredentials, type Credentials, type CredentialSource } from './credentials.js';
export { RegistryError, type RegistryErrorKind, type RegistryErrorDetail } from './errors.js';
export { parseChallenges, type Challenge } from './auth.js';
export { parseRegistryReference, parseRegistryHost, type RegistryReference } from './names.js';
export { MediaType, parsePlatform, formatPlatform, type Descriptor, type ImageConfig, type ImageIndex, type ImageManifest, type Platform } from './manifest.js';
export { resolveImage, fetchLayer, type ResolvedImage, type ResolvedLayer, type FetchedLayer } from './pull.js';
export { pushImage, pushBlob, pushManifest, pushIndex, type PushBlobSource, type PushOptions, type PushedImage, type BlobPushOutcome } from './push.js';
export { login, type LoginResult } from './login.js';
export { fetchBlob, type BlobProgress } from './blobs.js';
export type { Clock, RetryPolicy } from './retry.js';
