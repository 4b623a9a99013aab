import { NewProduct, ProductRepository } from './product.repository';

interface Line {
  code: string;
  name: string;
  description: string;
  price: number;
  /** [sku suffix, variant label, price difference in cents] */
  variants: [string, string, number][];
}

const COLORS: [string, string, number][] = [['BLK', 'Black', 0], ['WHT', 'White', 0], ['NVY', 'Navy', 0], ['OLV', 'Olive', 100], ['RED', 'Brick Red', 100]];
const SIZES: [string, string, number][] = [['S', 'Small', 0], ['M', 'Medium', 0], ['L', 'Large', 0], ['XL', 'X-Large', 200], ['XXL', 'XX-Large', 300]];

const LINES: Line[] = [
  { code: 'KIT-MUG-12OZ', name: 'Stoneware Coffee Mug 12 oz', description: 'Dishwasher- and microwave-safe stoneware mug with a reactive glaze.', price: 1400, variants: COLORS },
  { code: 'KIT-KNF-CHEF', name: 'Chef\'s Knife', description: 'Forged high-carbon stainless steel blade, full tang, riveted handle.', price: 7900, variants: [['6IN', '6"', -1500], ['8IN', '8"', 0], ['10IN', '10"', 1500], ['8IN-DMS', '8" Damascus', 8000], ['8IN-JP', '8" Gyuto', 4000]] },
  { code: 'KIT-PAN-CI', name: 'Cast Iron Skillet', description: 'Pre-seasoned cast iron, oven safe to 260 °C, works on induction.', price: 3400, variants: [['08', '8"', -1000], ['10', '10"', 0], ['12', '12"', 1200], ['12-LID', '12" with lid', 2600], ['GRD', 'Square grill pan', 800]] },
  { code: 'KIT-FRP', name: 'French Press Coffee Maker', description: 'Borosilicate glass carafe with a stainless four-level filter.', price: 2900, variants: [['350', '350 ml', -600], ['600', '600 ml', 0], ['1000', '1 l', 700], ['1000-SS', '1 l double-wall steel', 2500], ['TRV', 'Travel press 450 ml', 300]] },
  { code: 'KIT-BRD', name: 'End-Grain Cutting Board', description: 'Walnut and maple end-grain board with juice groove, finished in food-safe oil.', price: 6500, variants: [['S', 'Small', -2000], ['M', 'Medium', 0], ['L', 'Large', 2500], ['XL', 'Butcher block', 6000], ['SET', 'Set of two', 3500]] },
  { code: 'APP-TEE-ORG', name: 'Organic Cotton T-Shirt', description: 'Mid-weight 180 g/m² organic cotton jersey, regular fit, pre-shrunk.', price: 2400, variants: SIZES },
  { code: 'APP-SOCK-MER', name: 'Merino Hiking Socks', description: 'Cushioned merino wool blend with reinforced heel and toe; sold as a pair.', price: 1800, variants: [['S', 'Small', 0], ['M', 'Medium', 0], ['L', 'Large', 0], ['3PK', '3-pack, Medium', 3200], ['CRW', 'Crew, Large', 200]] },
  { code: 'APP-HOOD', name: 'Heavyweight Pullover Hoodie', description: 'Brushed-back fleece, 400 g/m², kangaroo pocket, ribbed cuffs.', price: 6800, variants: SIZES },
  { code: 'APP-CAP', name: 'Six-Panel Baseball Cap', description: 'Washed cotton twill with an adjustable brass buckle strap.', price: 2600, variants: COLORS },
  { code: 'APP-RAIN', name: 'Packable Rain Jacket', description: 'Waterproof-breathable 2.5-layer shell that packs into its own pocket.', price: 12900, variants: SIZES },
  { code: 'ELE-CBL-USBC', name: 'USB-C Charging Cable', description: 'Braided USB-C to USB-C cable, 100 W power delivery, 480 Mb/s data.', price: 1500, variants: [['050', '0.5 m', -300], ['100', '1 m', 0], ['200', '2 m', 400], ['300', '3 m', 800], ['240W', '2 m, 240 W', 1200]] },
  { code: 'ELE-CHG-GAN', name: 'GaN Wall Charger', description: 'Compact gallium-nitride charger with foldable prongs and smart power sharing.', price: 3900, variants: [['30W', '30 W, 1 port', -1400], ['65W', '65 W, 3 ports', 0], ['100W', '100 W, 4 ports', 2000], ['140W', '140 W, 4 ports', 4000], ['65W-EU', '65 W, EU plug', 0]] },
  { code: 'ELE-HP-BT', name: 'Wireless Over-Ear Headphones', description: 'Bluetooth 5.3 headphones with active noise cancelling and 40-hour battery.', price: 14900, variants: [['BLK', 'Black', 0], ['SLV', 'Silver', 0], ['NVY', 'Midnight Blue', 0], ['PRO', 'Pro, Black', 10000], ['KID', 'Kids, volume-limited', -7000]] },
  { code: 'ELE-KB-MECH', name: 'Mechanical Keyboard', description: 'Hot-swappable switches, PBT keycaps, USB-C and Bluetooth, aluminium case.', price: 11900, variants: [['TKL-RED', 'Tenkeyless, linear', 0], ['TKL-BRN', 'Tenkeyless, tactile', 0], ['FULL-RED', 'Full size, linear', 2000], ['75-BRN', '75 %, tactile', 1000], ['60-BLU', '60 %, clicky', -1500]] },
  { code: 'ELE-SSD-EXT', name: 'Portable NVMe SSD', description: 'USB 3.2 Gen 2 external SSD, up to 1050 MB/s, drop resistant to 2 m.', price: 8900, variants: [['500G', '500 GB', -3000], ['1T', '1 TB', 0], ['2T', '2 TB', 6000], ['4T', '4 TB', 18000], ['1T-RGD', '1 TB rugged', 2500]] },
  { code: 'HOM-CND-SOY', name: 'Soy Wax Candle', description: 'Hand-poured soy wax candle with a cotton wick in a reusable amber jar; about 45 hours.', price: 2200, variants: [['CED', 'Cedar & Sage', 0], ['FIG', 'Black Fig', 0], ['SEA', 'Sea Salt', 0], ['TOB', 'Tobacco & Vanilla', 0], ['TRIO', 'Gift trio', 3600]] },
  { code: 'HOM-THR-WOOL', name: 'Wool Throw Blanket', description: 'Woven lambswool throw, 130 × 180 cm, with fringed edges.', price: 8900, variants: [['GRY', 'Grey herringbone', 0], ['OAT', 'Oatmeal', 0], ['TRT', 'Tartan', 1000], ['CHR', 'Charcoal', 0], ['XL', 'Oversized, oatmeal', 3000]] },
  { code: 'HOM-LMP-DSK', name: 'LED Desk Lamp', description: 'Dimmable LED desk lamp with adjustable colour temperature and USB-C port.', price: 5900, variants: [['BLK', 'Black', 0], ['WHT', 'White', 0], ['BRS', 'Brass', 2000], ['CLP', 'Clamp mount, black', 500], ['MINI', 'Mini, white', -2000]] },
  { code: 'OUT-BTL-INS', name: 'Insulated Water Bottle', description: 'Double-wall vacuum-insulated steel bottle: cold 24 h, hot 12 h; leak-proof lid.', price: 3200, variants: [['500-BLK', '500 ml, Black', 0], ['500-SGE', '500 ml, Sage', 0], ['750-BLK', '750 ml, Black', 500], ['1000-SND', '1 l, Sand', 900], ['1900-BLK', '1.9 l jug, Black', 2300]] },
  { code: 'OUT-PCK-DAY', name: 'Trail Daypack', description: 'Ripstop nylon daypack with hydration sleeve, hip belt and rain cover.', price: 9400, variants: [['18L', '18 l', -1500], ['24L', '24 l', 0], ['30L', '30 l', 1500], ['24L-W', '24 l, women\'s fit', 0], ['30L-ULT', '30 l ultralight', 4500]] },
];

/** Deterministic stock: a few sold out, a few nearly gone, the rest in stock. */
function stockFor(i: number): number {
  if (i % 19 === 7) return 0;
  if (i % 23 === 11) return 1 + (i % 5);
  return 10 + ((i * 37) % 240);
}

/** One hundred plausible products (20 lines x 5 variants), the same on every machine. */
export function demoProducts(): NewProduct[] {
  return LINES.flatMap((line, l) =>
    line.variants.map(([suffix, label, diff], v) => {
      const i = l * 5 + v;
      return {
        sku: `${line.code}-${suffix}`,
        name: `${line.name} — ${label}`,
        description: line.description,
        price_cents: line.price + diff,
        currency: 'USD',
        stock: stockFor(i),
        // Two discontinued variants, so the "inactive product" path can be tried.
        active: i !== 29 && i !== 76,
      };
    }),
  );
}

export async function seedDemoProducts(repo: ProductRepository): Promise<number> {
  if ((await repo.count()) > 0) return 0;
  const rows = demoProducts();
  await repo.insertMany(rows);
  return rows.length;
}
