// A contributor's backend as the CLI and clt-bench load it with --backend-module: an ES module
// that registers its backend(s) with @clt/core when imported. This one is core's float64
// ReferenceBackend under another name, so the tests can check the plumbing, not the arithmetic.
import { ReferenceBackend, registerBackend } from '@clt/core';

class ContribBackend extends ReferenceBackend {
  name = 'contrib-f64';
}

registerBackend('contrib-f64', () => new ContribBackend(), {
  // Opt-in like every new backend: used only when named with --backend.
  priority: -1,
  description: 'test fixture: the float64 reference under a contributor name',
});
