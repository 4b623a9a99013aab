import { runService } from '@fedmcp/service-kit';
import { createPaymentService } from './payment.service';

void runService(() => createPaymentService());
