import { ReferenceBackend } from './backend.js';
import { describeConformance } from '../testing/index.js';

describeConformance('reference backend passes the conformance suite (f32 cases)', async () => new ReferenceBackend(), { dtype: 'f32' });
describeConformance('reference backend passes the conformance suite (f64 cases)', async () => new ReferenceBackend(), { dtype: 'f64' });
