import { runService } from '@fedmcp/service-kit';
import { createProductService } from './product.service';

void runService(() => createProductService());
