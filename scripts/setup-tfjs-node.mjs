#!/usr/bin/env node
// Builds @tensorflow/tfjs-node's native addon without its install script, for offline machines and CI.
//
// The package's own install script downloads libtensorflow and a prebuilt addon from
// the host tfjs-node downloads libtensorflow from; machines that cannot reach it (air-gapped, this project's CI) get no
// binding. This script takes libtensorflow from the TensorFlow CPU wheel instead (through pip's
// configured sources: its package index, a mirror or a local wheel set), compiles the addon against it with
// node-gyp and the installed Node's headers, and puts it where tfjs-node's loader looks. Users with
// internet access do not need it: allowing the install script (`pnpm rebuild @tensorflow/tfjs-node`)
// stays the default path (docs/backend-tfjs.md).
//
// Idempotent: each step checks its result and is skipped when already done; the last step always
// loads the binding in a child process and checks a matMul and a gradient.
//
// Usage: node scripts/setup-tfjs-node.mjs [--wheel <file.whl>] [--no-strip] [--force]
// Env:   CLT_TFJS_NODE_CACHE  where the wheel is cached (default: <repo>/.cache/tfjs-node)
//        CLT_TENSORFLOW_WHEEL a wheel file to use instead of asking pip (same as --wheel)
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** TensorFlow release whose C API the addon is built against. tfjs-node 4.22 was made for 2.9.1;
 *  2.21's C/Eager API is a superset, and it is what the wheel sets these machines carry hold. */
const TF_SPEC = 'tensorflow-cpu==2.21.*';
/** The headers tfjs-node's binding includes (directly or through each other), as paths under the wheel's tensorflow/include/. */
const HEADERS = [
  'tensorflow/c/c_api.h', 'tensorflow/c/c_api_macros.h', 'tensorflow/c/tf_attrtype.h', 'tensorflow/c/tf_buffer.h',
  'tensorflow/c/tf_datatype.h', 'tensorflow/c/tf_status.h', 'tensorflow/c/tf_tensor.h', 'tensorflow/c/tf_tstring.h',
  'tensorflow/c/eager/c_api.h', 'tensorflow/core/platform/ctstring.h', 'tensorflow/core/platform/ctstring_internal.h',
  'tsl/platform/ctstring.h', 'tsl/platform/ctstring_internal.h', 'xla/tsl/c/tsl_status.h',
];
/** libtensorflow_cc.so.2 exports the TF and TFE C API the addon links as -ltensorflow. */
const LIBS = { 'libtensorflow_cc.so.2': 'libtensorflow.so', 'libtensorflow_framework.so.2': 'libtensorflow_framework.so' };

const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const opt = (name) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const rel = (p) => relative(process.cwd(), p) || '.';
const t0 = Date.now();
const log = (msg) => console.log(`setup:tfjs-node [${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}`);

class SetupError extends Error {}
const fail = (msg) => { throw new SetupError(msg); };

function run(cmd, argv, options = {}) {
  const r = spawnSync(cmd, argv, { encoding: 'utf8', maxBuffer: 64 << 20, ...options });
  if (r.error) return { ok: false, out: String(r.error.message), status: -1 };
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}`, status: r.status };
}
const tail = (s, n = 15) => s.trim().split('\n').slice(-n).join('\n');

/** tfjs-node's package folder, resolved the way @clt/backend-tfjs-node imports it (pnpm's virtual store). */
function tfjsNodeDir() {
  const from = join(REPO, 'packages/backend-tfjs-node/package.json');
  try {
    return dirname(createRequire(from).resolve('@tensorflow/tfjs-node/package.json'));
  } catch {
    return fail('@tensorflow/tfjs-node is not installed in this workspace. Run `pnpm install` first (it is an optional dependency of @clt/backend-tfjs-node).');
  }
}

/** The N-API version node-pre-gyp picks: the highest one the package ships for that this Node supports. */
function napiVersion(pkg) {
  const ours = Number(process.versions.napi);
  const theirs = (pkg.binary?.napi_versions ?? []).filter((v) => v <= ours);
  if (!theirs.length) fail(`This Node (N-API ${ours}) supports none of tfjs-node's N-API versions (${pkg.binary?.napi_versions}). Use Node 20 or newer.`);
  return Math.max(...theirs);
}

function python() {
  for (const py of ['python3', 'python']) if (run(py, ['-c', 'import sys; print(sys.version)']).ok) return py;
  return fail('Python 3 is needed (pip fetches the TensorFlow wheel; node-gyp runs gyp). Install python3 and pip.');
}

/** Step 1: the TensorFlow CPU wheel, from --wheel, the cache, or pip's configured sources. */
function findWheel(cache, py) {
  const given = opt('--wheel') ?? process.env.CLT_TENSORFLOW_WHEEL;
  if (given) {
    if (!existsSync(given)) fail(`--wheel ${given}: no such file.`);
    log(`wheel: using ${given}`);
    return resolve(given);
  }
  const cached = () => existsSync(cache) ? readdirSync(cache).filter((f) => /^tensorflow_cpu-2\.21\.[^-]+-.*manylinux.*x86_64\.whl$/.test(f)).sort().pop() : undefined;
  let whl = cached();
  if (whl) { log(`wheel: cached ${rel(join(cache, whl))}`); return join(cache, whl); }
  mkdirSync(cache, { recursive: true });
  log(`wheel: pip download --no-deps ${TF_SPEC} (pip's configured index / find-links) ...`);
  // --retries 0: with no network, pip would otherwise wait on every unreachable index in turn.
  const r = run(py, ['-m', 'pip', 'download', '--no-deps', '--only-binary=:all:', '--retries', '0', '--progress-bar', 'off', '-d', cache, TF_SPEC]);
  whl = cached();
  if (!r.ok || !whl) {
    fail(`pip could not provide the TensorFlow CPU wheel (${TF_SPEC}, about 275 MB, Linux x86_64).\n` +
      `pip said:\n${tail(r.out, 6)}\n` +
      'Fix one of:\n' +
      `  - give pip a source that has it: network access to its package index, a mirror (pip config set global.index-url ...), or a folder of wheels (pip config set global.find-links <dir>);\n` +
      `  - or download tensorflow_cpu-2.21.0-cp3XX-cp3XX-manylinux_2_27_x86_64.whl elsewhere and put it in ${rel(cache)}/ (or pass --wheel <file>);\n` +
      '  - or, on a machine that can reach the host tfjs-node downloads libtensorflow from, skip this script and let tfjs-node download libtensorflow itself: `pnpm rebuild @tensorflow/tfjs-node` after allowing its build script (docs/backend-tfjs.md).');
  }
  log(`wheel: saved ${rel(join(cache, whl))}`);
  return join(cache, whl);
}

/** Step 2: libtensorflow and the headers from the wheel into <tfjs-node>/deps, where binding.gyp looks. */
function installDeps(dir, wheel, py) {
  const deps = join(dir, 'deps');
  const stamp = join(deps, '.clt-setup.json');
  const want = { from: wheel.split(/[\\/]/).pop() };
  if (!flag('--force') && existsSync(stamp) && JSON.parse(readFileSync(stamp, 'utf8')).from === want.from) {
    log(`libtensorflow: already in ${rel(deps)} (from ${want.from})`);
    return false;
  }
  const tmp = `${deps}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  log(`libtensorflow: extracting ${Object.keys(LIBS).join(', ')} and ${HEADERS.length} headers from the wheel ...`);
  // Python's zipfile streams members to disk; the 790 MB library never sits in memory.
  const members = [...Object.keys(LIBS).map((l) => `tensorflow/${l}`), ...HEADERS.map((h) => `tensorflow/include/${h}`)];
  const script = [
    'import sys, zipfile, shutil, os',
    'whl, out, *members = sys.argv[1:]',
    'z = zipfile.ZipFile(whl)',
    'names = set(z.namelist())',
    'missing = [m for m in members if m not in names]',
    'if missing: sys.exit("the wheel lacks: " + ", ".join(missing))',
    'for m in members:',
    '    dest = os.path.join(out, "lib", os.path.basename(m)) if m.count("/") == 1 else os.path.join(out, "include", m[len("tensorflow/include/"):])',
    '    os.makedirs(os.path.dirname(dest), exist_ok=True)',
    '    with z.open(m) as src, open(dest, "wb") as dst: shutil.copyfileobj(src, dst, 1 << 22)',
  ].join('\n');
  const r = run(py, ['-c', script, wheel, tmp, ...members]);
  if (!r.ok) fail(`Could not extract libtensorflow from ${rel(wheel)}: ${tail(r.out, 4)}\nIs it a complete tensorflow-cpu 2.21 wheel? Delete it and run again to download it anew.`);
  // Debug symbols are a quarter of the size and nothing here reads them (815 MB -> about 605 MB).
  if (!flag('--no-strip') && run('strip', ['--version']).ok) {
    for (const l of Object.keys(LIBS)) {
      const s = run('strip', ['--strip-unneeded', join(tmp, 'lib', l)]);
      if (!s.ok) log(`libtensorflow: strip ${l} failed, keeping it unstripped: ${tail(s.out, 1)}`);
    }
  }
  for (const [real, link] of Object.entries(LIBS)) symlinkSync(real, join(tmp, 'lib', link));
  writeFileSync(join(tmp, '.clt-setup.json'), JSON.stringify({ ...want, by: 'scripts/setup-tfjs-node.mjs' }, null, 2) + '\n');
  rmSync(deps, { recursive: true, force: true });
  renameSync(tmp, deps);
  const mb = Object.keys(LIBS).reduce((n, l) => n + statSync(join(deps, 'lib', l)).size, 0) / 2 ** 20;
  log(`libtensorflow: installed in ${rel(deps)} (${mb.toFixed(0)} MB)`);
  return true;
}

/** npm's bundled node-gyp (npm ships with Node), else one on PATH. */
function nodeGyp() {
  const bundled = (root) => join(root, 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  const prefix = dirname(dirname(process.execPath));
  const candidates = [bundled(join(prefix, 'lib', 'node_modules')), bundled(join(dirname(process.execPath), 'node_modules'))];
  const npmRoot = run(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['root', '-g']);
  if (npmRoot.ok) candidates.push(bundled(npmRoot.out.trim()));
  const found = candidates.find((c) => existsSync(c));
  if (found) return [process.execPath, found];
  if (run('node-gyp', ['--version']).ok) return ['node-gyp'];
  return fail('node-gyp was not found (it ships with npm). Install npm, or `npm install -g node-gyp`.');
}

/** Step 3: compile the addon and put it at lib/napi-v<N>/tfjs_binding.node, where node-pre-gyp's loader looks. */
function buildAddon(dir, napi, depsChanged) {
  const target = join(dir, 'lib', `napi-v${napi}`, 'tfjs_binding.node');
  if (!flag('--force') && !depsChanged && existsSync(target)) { log(`addon: already built (${rel(target)})`); return; }
  // The installed Node's own headers, so node-gyp downloads nothing.
  const nodedir = dirname(dirname(process.execPath));
  if (!existsSync(join(nodedir, 'include', 'node', 'node_api.h'))) {
    fail(`Node's C headers are not under ${join(nodedir, 'include', 'node')} (node-gyp would have to download them). Install the headers that match ${process.version} (e.g. the nodejs package's headers, or the official tarball) and run again.`);
  }
  for (const tool of ['make', 'g++']) if (!run(tool, ['--version']).ok) fail(`${tool} is needed to compile the addon. Install a C++ toolchain (Debian/Ubuntu: apt-get install build-essential).`);
  const [cmd, ...pre] = nodeGyp();
  log(`addon: node-gyp rebuild against ${process.version} headers (N-API ${napi}) ...`);
  rmSync(target, { force: true }); // never leave an addon built against other libraries in place
  const r = run(cmd, [...pre, 'rebuild', `--nodedir=${nodedir}`, '--jobs=max',
    '--module_name=tfjs_binding', `--module_path=${join(dir, 'lib', `napi-v${napi}`)}`, `--napi_build_version=${napi}`], { cwd: dir });
  const built = join(dir, 'build', 'Release', 'tfjs_binding.node');
  if (!r.ok || !existsSync(built)) fail(`node-gyp could not build tfjs-node's addon:\n${tail(r.out, 25)}`);
  // binding.gyp's copy step places it at --module_path already (as a hard link); copy only if it did not.
  if (!existsSync(target)) { mkdirSync(dirname(target), { recursive: true }); copyFileSync(built, target); }
  log(`addon: built ${rel(target)}`);
}

/** Step 4: load it the way @clt/backend-tfjs-node does and check two results a broken link would get wrong. */
function verify(dir) {
  const probe = `
    const tf = require(${JSON.stringify(dir)});
    const y = tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5], [6]])).dataSync();
    const g = tf.grad((x) => x.square().sum())(tf.tensor1d([1.5, -2])).dataSync();
    const ok = tf.getBackend() === 'tensorflow' && y[0] === 17 && y[1] === 39 && g[0] === 3 && g[1] === -4;
    console.log(JSON.stringify({ ok, backend: tf.getBackend(), tf: tf.version.tfjs, tensorflow: tf.backend().binding?.TF_Version, y: [...y], g: [...g] }));`;
  const r = run(process.execPath, ['-e', probe], { env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' } });
  const line = r.out.trim().split('\n').reverse().find((l) => l.startsWith('{'));
  const res = line ? JSON.parse(line) : undefined;
  if (!r.ok || !res?.ok) fail(`The built addon does not work: ${res ? JSON.stringify(res) : tail(r.out, 10)}\nRun again with --force to rebuild from scratch.`);
  log(`verified: tf.getBackend() = ${res.backend}, TensorFlow ${res.tensorflow ?? '?'}, matMul and grad correct`);
}

try {
  if (`${process.platform}/${process.arch}` !== 'linux/x64') {
    fail(`This script builds from the Linux x86_64 TensorFlow wheel; this is ${process.platform}/${process.arch}. ` +
      'On macOS/Windows x64 use tfjs-node\'s own install (`pnpm rebuild @tensorflow/tfjs-node` after allowing its build script).');
  }
  const dir = tfjsNodeDir();
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const napi = napiVersion(pkg);
  log(`@tensorflow/tfjs-node ${pkg.version} at ${rel(dir)}`);
  const cache = resolve(process.env.CLT_TFJS_NODE_CACHE ?? join(REPO, '.cache', 'tfjs-node'));
  const stamped = existsSync(join(dir, 'deps', '.clt-setup.json'));
  let depsChanged = false;
  // Libraries already in place: nothing to fetch, even if the wheel cache was deleted since.
  if (flag('--force') || !stamped || opt('--wheel') || process.env.CLT_TENSORFLOW_WHEEL) {
    const py = python();
    depsChanged = installDeps(dir, findWheel(cache, py), py);
  } else {
    log(`libtensorflow: already in ${rel(join(dir, 'deps'))}`);
  }
  buildAddon(dir, napi, depsChanged);
  verify(dir);
  log('done. `clt backends` now lists tfjs-node as available.');
} catch (err) {
  if (!(err instanceof SetupError)) throw err;
  console.error(`setup:tfjs-node FAILED: ${err.message}`);
  process.exit(1);
}
