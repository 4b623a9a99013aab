import { runService } from '@fedmcp/service-kit';
import { createOrderService } from './order.service';

void runService(() => createOrderService());
