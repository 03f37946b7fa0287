/**
 * Reads the uploaded profile from a request: the raw body (any content type but multipart, so
 * `curl --data-binary @cpu.pb.gz` works with or without `-H 'Content-Type: application/octet-stream'`),
 * or the `profile` file of a multipart/form-data body.
 *
 * Memory stays bounded by the body cap: a Content-Length over it is refused before reading, and a
 * stream that grows past it (chunked, or a lying header) is cut as soon as it does.
 *
 * Why busboy for multipart: it streams, enforces per-file and per-part limits itself, and is one
 * small package (plus streamsearch); multer is built on it and adds disk storage we do not want.
 */
import type { IncomingMessage } from 'node:http';
import busboy from 'busboy';
import { TooLargeError } from '../errors.js';
import { HttpProblem } from './problem.js';

export interface Upload {
  profile: Buffer;
  /** multipart `base`: a snapshot to subtract (pprof -base) */
  base?: Buffer;
  /** multipart `diff_base`: the same, with percentages of the base (pprof -diff_base) */
  diff_base?: Buffer;
  /** multipart `sources`: a .tar.gz, .tar or .zip of the source tree, for the list report */
  sources?: Buffer;
  /** multipart text fields, only those the caller accepts (ReadUploadOptions.fields); no prototype */
  fields?: Record<string, string>;
}

export interface ReadUploadOptions {
  /** multipart text fields to accept (e.g. POST /v1/profiles' title and ttl); any other is refused */
  fields?: readonly string[];
}

export interface BodyLimits {
  maxBodyBytes: number;
}

/** Multipart fields the service reads; anything else is refused so a typo is not silently ignored. */
export const FILE_FIELDS = ['profile', 'base', 'diff_base', 'sources'] as const;
type FileField = (typeof FILE_FIELDS)[number];
const isFileField = (name: string): name is FileField => (FILE_FIELDS as readonly string[]).includes(name);

export function isMultipart(req: IncomingMessage): boolean {
  return /^multipart\/form-data\b/i.test(req.headers['content-type'] ?? '');
}

/** Body bytes received so far, updated while reading (for the bytes-in metric and the log line). */
export interface BodyMeter {
  bytes: number;
}

export async function readUpload(
  req: IncomingMessage, limits: BodyLimits, meter: BodyMeter = { bytes: 0 }, options: ReadUploadOptions = {},
): Promise<Upload> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limits.maxBodyBytes) throw bodyTooLarge(limits.maxBodyBytes);
  // Counted by a listener added in the same tick as the reader's, so no chunk goes by unseen.
  req.on('data', (chunk: Buffer) => {
    meter.bytes += chunk.length;
  });
  if (isMultipart(req)) return readMultipart(req, limits, options.fields ?? []);
  return { profile: await readRaw(req, limits.maxBodyBytes), fields: noFields() };
}

function bodyTooLarge(limit: number): TooLargeError {
  return new TooLargeError(`request body over limit (${limit} bytes)`, limit);
}

/**
 * Not `for await`: leaving that loop early destroys the request, and with it the socket the 413
 * must still be written to. Past the cap we stop buffering and let the error response close the
 * connection (see app.ts).
 */
function readRaw(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        stop();
        req.pause();
        reject(bodyTooLarge(max));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      stop();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      stop();
      reject(err instanceof HttpProblem ? err : uploadBroken(err));
    };
    // A client that hangs up mid-upload may give neither 'end' nor 'error': do not wait forever.
    const onClose = () => {
      if (!req.complete) onError(uploadBroken());
    };
    const stop = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

const noFields = (): Record<string, string> => Object.create(null) as Record<string, string>;

function readMultipart(req: IncomingMessage, { maxBodyBytes }: BodyLimits, acceptedFields: readonly string[]): Promise<Upload> {
  return new Promise<Upload>((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        // Small limits for everything but the files: a form here has at most two of them.
        limits: { fileSize: maxBodyBytes, files: FILE_FIELDS.length, fields: 8, parts: 10, fieldSize: 1024, headerPairs: 20 },
      });
    } catch (err) {
      // busboy throws on a multipart Content-Type without a boundary
      reject(new HttpProblem('bad-request', `cannot read the multipart body: ${(err as Error).message}`));
      return;
    }
    const files = new Map<FileField, Buffer>();
    const fields = noFields();
    const reading: Promise<void>[] = [];
    let failed = false;
    let total = 0;
    const fail = (err: Error) => {
      if (failed) return;
      failed = true;
      req.unpipe(parser);
      req.pause(); // read no more; the error response closes the connection
      reject(err);
    };

    parser.on('file', (name, stream) => {
      if (!isFileField(name)) {
        stream.resume();
        fail(unexpectedField(name));
        return;
      }
      if (files.has(name)) {
        stream.resume();
        fail(new HttpProblem('bad-request', `the multipart body has more than one "${name}" field`));
        return;
      }
      files.set(name, Buffer.alloc(0));
      const chunks: Buffer[] = [];
      reading.push(
        new Promise<void>((done) => {
          stream.on('data', (c: Buffer) => {
            total += c.length;
            // fileSize caps each file; the sum of them is capped here.
            if (total > maxBodyBytes) fail(bodyTooLarge(maxBodyBytes));
            else chunks.push(c);
          });
          stream.on('limit', () => fail(bodyTooLarge(maxBodyBytes)));
          stream.on('end', () => {
            files.set(name, Buffer.concat(chunks));
            done();
          });
          stream.on('error', (err: Error) => {
            fail(new HttpProblem('bad-request', `cannot read the multipart body: ${err.message}`));
            done();
          });
        }),
      );
    });
    parser.on('field', (name, value, info) => {
      if (!acceptedFields.includes(name)) fail(unexpectedField(name));
      else if (Object.hasOwn(fields, name)) fail(new HttpProblem('bad-request', `the multipart body has more than one "${name}" field`));
      else if (info.valueTruncated) fail(new HttpProblem('bad-request', `the multipart field "${name}" is too long`));
      else fields[name] = value;
    });
    parser.on('filesLimit', () => fail(new HttpProblem('bad-request', 'the multipart body has too many files')));
    parser.on('partsLimit', () => fail(new HttpProblem('bad-request', 'the multipart body has too many parts')));
    parser.on('fieldsLimit', () => fail(new HttpProblem('bad-request', 'the multipart body has too many fields')));
    parser.on('error', (err: Error) => fail(new HttpProblem('bad-request', `cannot read the multipart body: ${err.message}`)));
    parser.on('close', () => {
      void Promise.all(reading).then(() => {
        if (failed) return;
        const profile = files.get('profile');
        if (profile === undefined) {
          fail(new HttpProblem('bad-request', 'the multipart body has no "profile" file field (curl: -F profile=@cpu.pb.gz)'));
          return;
        }
        resolve({ profile, base: files.get('base'), diff_base: files.get('diff_base'), sources: files.get('sources'), fields });
      });
    });
    req.on('error', (err) => fail(uploadBroken(err)));
    req.on('close', () => {
      if (!req.complete) fail(uploadBroken());
    });
    req.pipe(parser);
  });
}

/** The connection failed or closed mid-upload: the client's side, and nobody will read the answer. */
function uploadBroken(err?: Error): HttpProblem {
  return new HttpProblem('bad-request', `the upload did not complete${err ? `: ${err.message}` : ''}`);
}

function unexpectedField(name: string): HttpProblem {
  const shown = JSON.stringify(name.slice(0, 100));
  return new HttpProblem(
    'bad-request',
    `unexpected multipart field ${shown}: the file fields are ${FILE_FIELDS.join(', ')}; options go in the query string`,
  );
}
