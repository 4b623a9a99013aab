import { runService } from '@fedmcp/service-kit';
import { createCustomerService } from './customer.service';

void runService(() => createCustomerService());
