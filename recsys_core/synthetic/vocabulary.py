"""Phrase banks for the synthetic shop catalogue: themes, fine interests and their words.

This module holds data only. Each fine interest lists its product types, each with the shop
department it is sold in and adjectives and features that are true of that product, plus
use phrases and the ways a customer would describe the hobby in a profile. Departments cut across interests on
purpose (hiking boots and trail shoes are both "Footwear"), so the shop category does not
give the planted taxonomy away. ``related`` names neighbouring interests whose words leak
into some descriptions, which gives the realistic overlap an embedding has to cope with.
Fields are ``|``-separated to keep the banks compact and easy to extend.
"""

from __future__ import annotations

THEMES: dict[str, str] = {
    "outdoors": "Outdoor adventure",
    "fitness": "Fitness and running",
    "kitchen": "Cooking and baking",
    "coffee_tea": "Coffee and tea",
    "gaming": "Games and play",
    "photo": "Photography and video",
    "garden": "Garden and plants",
    "music": "Music making and listening",
    "pets": "Pets",
    "reading": "Books and reading",
}

THEME_PHRASES: dict[str, str] = {
    "outdoors": "for long days outside|built for the backcountry|ready for wind, rain and rough ground|"
    "a trusted companion on remote trips|packs down small for the trail",
    "fitness": "to help you train harder and recover faster|for athletes of every level|"
    "made to move with your body|sweat-wicking and easy to wash|for your next personal best",
    "kitchen": "for home cooks who like to experiment|dishwasher safe and easy to clean|"
    "a staple for any busy kitchen|made for family dinners and weekend projects|"
    "restaurant quality results at home",
    "coffee_tea": "for a better cup every morning|for slow mornings and afternoon breaks|"
    "brings out sweetness and aroma|a gift for anyone who loves a good brew|roasted and packed with care",
    "gaming": "for game nights with friends|hours of replay value|for casual and competitive players|"
    "a must-have for your collection|easy to learn, hard to master",
    "photo": "for sharper, cleaner images|for creators on the move|trusted by working photographers|"
    "capture every detail|for stills and video alike",
    "garden": "for greener, healthier plants|for balconies, beds and backyards|made for the growing season|"
    "a gardener's everyday helper|grow more with less effort",
    "music": "for musicians at home and on stage|warm, detailed sound|for practice, recording and performance|"
    "built for players who care about tone|hear every note",
    "pets": "for happy, healthy pets|vet recommended|safe for everyday use|your pet will thank you|"
    "made with animal welfare in mind",
    "reading": "a story you will not put down|a book readers keep recommending|perfect for a long weekend|"
    "shortlisted by booksellers this year|a page-turner from start to finish",
}

# key: (theme, label, products, uses, profile phrases, related interests)
# products: one line a product type, "noun | shop department | adjectives | features"; adjectives
# are comma-separated and features ;-separated, each true of that product type.
FINE_INTERESTS: dict[str, tuple[str, str, str, str, str, str]] = {
    # ---------------------------------------------------------------- outdoors
    "hiking": (
        "outdoors", "Hiking and backpacking", """
        hiking boots | Footwear | waterproof, supportive, rugged | with a Gore-Tex membrane and a padded ankle collar; with a grippy lug sole for loose scree; that stay dry through stream crossings
        backpacking pack | Bags & Packs | ultralight, roomy, adjustable | with an adjustable torso length and a padded hip belt; that carries 55 litres under a kilogram; with a rain cover and hydration sleeve
        trekking poles | Accessories | collapsible, carbon, lightweight | that fold to the size of a water bottle; with cork grips and flick locks; that save your knees on steep descents
        rain shell | Clothing | ultralight, breathable, packable | with taped seams and pit zips; that stuffs into its own pocket; with a helmet-compatible hood
        hiking socks | Clothing | merino, cushioned, blister-free | knitted from merino wool that stays fresh for days; with extra padding at the heel and toe
        water filter | Accessories | compact, fast-flowing, reliable | that removes 99.9 percent of bacteria; that screws onto a standard bottle
        daypack | Bags & Packs | light, ventilated, versatile | with a mesh back panel and hip pockets; with room for a jacket, lunch and map
        """,
        "for multi-day treks through the mountains|for thru-hikes and long-distance trails|"
        "for day hikes to alpine lakes|for carrying a full load above the tree line",
        "hiking|long-distance backpacking|weekend hikes in the hills|trekking in the Alps|walking national trails",
        "camping|trail_running|climbing",
    ),
    "camping": (
        "outdoors", "Camping", """
        two-person tent | Camping | roomy, three-season, freestanding | that pitches in under three minutes; with a double-wall design and two vestibules; with colour-coded poles
        sleeping bag | Camping | warm, packable, mummy-shaped | rated down to minus five degrees; with a recycled down fill; with a draft collar and two-way zip
        sleeping pad | Camping | insulated, self-inflating, comfortable | with an R-value of four for cold nights; that inflates in ten breaths
        camp stove | Camping | compact, fast, wind-resistant | that boils a litre of water in four minutes; with a piezo igniter and simmer control
        camping lantern | Camping | bright, rechargeable, dimmable | with three light modes and a USB power bank; that runs for forty hours on low
        folding camp chair | Furniture | sturdy, compact, comfortable | with a cup holder and side pocket; that folds into a small carry bag
        cooler box | Camping | insulated, heavy-duty, family-size | that keeps ice for five days; with rubber latches and rope handles
        """,
        "for nights under the stars|for family camping weekends|for festival and car camping|"
        "for setting up base camp by the lake",
        "camping|sleeping under the stars|car camping with the kids|weekends at the campsite|wild camping",
        "hiking|fishing|bbq",
    ),
    "climbing": (
        "outdoors", "Climbing and bouldering", """
        climbing shoes | Footwear | aggressive, downturned, sticky | with a sticky rubber rand for toe hooks; with a precise edge for tiny footholds
        harness | Accessories | comfortable, adjustable, lightweight | with gear loops for a full trad rack; with padded leg loops for long belays
        chalk bag | Accessories | roomy, drawstring, compact | with a brush holder and a waist belt; that keeps your hands dry on sweaty days
        dynamic rope | Accessories | dry-treated, durable, certified | with a dry-treated 9.5 millimetre core; with a middle mark for rappels
        belay device | Accessories | assisted-braking, smooth, certified | with an assisted braking cam; rated to UIAA safety standards
        crash pad | Accessories | thick, foldable, durable | with a thick foam landing zone; with shoulder straps for the walk to the boulders
        climbing helmet | Accessories | light, ventilated, certified | with a foam shell and headlamp clips; rated for rockfall and falls
        """,
        "for sport climbing on limestone crags|for indoor bouldering sessions|for multi-pitch routes and big walls|"
        "for projecting hard problems at the gym",
        "rock climbing|bouldering at the gym|sport climbing on weekends|climbing big walls",
        "hiking|strength",
    ),
    "fishing": (
        "outdoors", "Fishing", """
        fly rod | Fishing | sensitive, medium-action, lightweight | with a cork handle and four-piece blank; that casts tight loops in the wind
        spinning reel | Fishing | smooth, corrosion-resistant, sealed | with a sealed drag system for saltwater; with ten ball bearings
        tackle box | Fishing | organised, waterproof, portable | with adjustable compartments for lures and hooks; with a carry handle and latches
        fishing waders | Clothing | breathable, waterproof, reinforced | with neoprene booties and a chest pocket; with reinforced knees
        fly selection | Fishing | hand-tied, classic, versatile | with twelve hand-tied dry flies and nymphs; in a waterproof foam box
        landing net | Fishing | fish-friendly, collapsible, light | with a rubber mesh that protects the fish; with a telescopic handle
        braided fishing line | Fishing | strong, low-stretch, thin | rated to ten kilograms; with a slick coating for long casts
        """,
        "for trout in mountain streams|for casting from the shore at dawn|for bass fishing on the lake|"
        "for catch-and-release days on the river",
        "fly fishing|fishing on the lake|catching trout in rivers|sea fishing from the pier",
        "camping|hiking",
    ),
    "snow": (
        "outdoors", "Skiing and snowboarding", """
        ski goggles | Accessories | anti-fog, wide-view, polarised | with a magnetic interchangeable lens; with a double lens that never fogs
        snowboard | Sports Equipment | all-mountain, freeride, playful | with a camber profile for carving; with a tapered shape that floats in powder
        ski jacket | Clothing | insulated, waterproof, breathable | with taped seams and a powder skirt; with a recco reflector and pit zips
        touring skis | Sports Equipment | light, wide, freeride | with skins and a pin binding for long climbs; that float in deep snow
        avalanche beacon | Accessories | digital, reliable, three-antenna | with three antennas and a digital search mode; with a group check function
        ski gloves | Clothing | warm, waterproof, leather | with leather palms and wrist leashes; with a removable wool liner
        ski helmet | Accessories | warm, ventilated, certified | with a MIPS liner and adjustable vents; with built-in audio pockets
        """,
        "for powder days off-piste|for carving groomed runs|for ski touring in deep winter|for park laps and rails",
        "skiing|snowboarding|ski touring in winter|fresh powder days",
        "hiking|climbing",
    ),
    # ---------------------------------------------------------------- fitness
    "trail_running": (
        "fitness", "Trail running", """
        trail running shoes | Footwear | grippy, cushioned, responsive | with a rock plate and a six millimetre drop; with deep lugs for mud and wet roots
        hydration vest | Bags & Packs | light, bounce-free, snug | that holds two soft flasks up front; with stretch pockets for poles and gels
        soft flask | Accessories | collapsible, squeezable, light | that rolls up when empty; with a bite valve that never leaks
        running headlamp | Accessories | bright, bounce-free, rechargeable | with 500 lumens for night stages; with a reactive beam that adapts to the trail
        trail gaiters | Accessories | light, stretchy, stone-proof | that keep grit and stones out of your shoes; that hook onto any trail shoe
        waterproof running jacket | Clothing | packable, breathable, featherweight | that packs into its own chest pocket; with a peaked hood for mountain rain
        energy gels | Food & Drink | fast-acting, easy-to-digest, fruity | with caffeine and electrolytes; with thirty grams of carbohydrate per sachet
        """,
        "for ultramarathons and mountain races|for fast runs on technical singletrack|for muddy winter trails|"
        "for your first trail half marathon",
        "trail running|running ultras in the mountains|muddy trail races|mountain running",
        "road_running|hiking",
    ),
    "road_running": (
        "fitness", "Road running", """
        running shoes | Footwear | bouncy, cushioned, supportive | with a knit upper that hugs the foot; with a thick foam midsole for easy miles
        carbon racing shoes | Footwear | fast, springy, lightweight | with a carbon plate and nitrogen-infused foam; that weigh just 190 grams
        GPS running watch | Electronics | smart, accurate, long-lasting | with heart rate, pace and interval alerts; with training load and recovery advice
        running shorts | Clothing | breathable, lightweight, quick-drying | with a built-in phone pocket; with a soft brief liner
        compression socks | Clothing | supportive, breathable, snug | with graduated compression for faster recovery
        reflective vest | Clothing | reflective, lightweight, adjustable | with 360 degree reflective trims; with a blinking LED at the back
        foam roller | Sports Equipment | firm, textured, compact | that loosens calves and quads after long runs
        """,
        "for marathon training blocks|for tempo runs and track intervals|for your daily commute run|"
        "for chasing a new 10K personal best",
        "running marathons|road running|my daily 5K|half marathon training",
        "trail_running|cycling",
    ),
    "yoga": (
        "fitness", "Yoga and mobility", """
        yoga mat | Sports Equipment | non-slip, cushioned, eco-friendly | with alignment lines and a natural rubber base; made from sustainably harvested cork
        yoga blocks | Sports Equipment | firm, lightweight, cork | that support deeper stretches; made from recycled foam
        meditation cushion | Home | calming, supportive, soft | filled with organic buckwheat hulls; with a washable cotton cover
        yoga leggings | Clothing | stretchy, high-waisted, soft | with a high waist and squat-proof fabric; with a hidden key pocket
        resistance band set | Sports Equipment | versatile, colour-coded, durable | in five colour-coded strengths; with door anchor and handles
        yoga strap | Sports Equipment | adjustable, cotton, simple | with a metal D-ring buckle; that helps you reach deeper stretches
        massage ball | Sports Equipment | firm, textured, portable | that releases tight hips and shoulders
        """,
        "for vinyasa flows and hot yoga|for daily stretching and mobility work|for mindful meditation at home|"
        "for pilates and core classes",
        "yoga|meditation and mindfulness|morning stretching|pilates",
        "strength|road_running",
    ),
    "strength": (
        "fitness", "Strength training", """
        adjustable dumbbells | Sports Equipment | adjustable, space-saving, heavy-duty | that adjust from 2 to 24 kilograms with a twist; that replace fifteen pairs of weights
        kettlebell | Sports Equipment | cast iron, sturdy, powder-coated | cast from a single piece of iron; with a wide handle for two-hand swings
        weightlifting belt | Accessories | stiff, leather, supportive | with a lever buckle for heavy squats; ten millimetres thick
        pull-up bar | Sports Equipment | sturdy, doorway, multi-grip | rated to 150 kilograms; that fits any doorway without screws
        squat rack | Sports Equipment | heavy-duty, compact, adjustable | with safety bars and J-hooks; that folds flat against the wall
        whey protein | Food & Drink | chocolate, smooth, high-protein | with 25 grams of protein per scoop; that mixes without lumps
        weight bench | Furniture | adjustable, sturdy, padded | with seven back positions; rated to 300 kilograms
        """,
        "for home gym workouts|for powerlifting and heavy deadlifts|for building muscle at home|"
        "for high-intensity circuit training",
        "weightlifting|lifting at the home gym|powerlifting|building strength with kettlebells",
        "yoga|climbing",
    ),
    "cycling": (
        "fitness", "Cycling", """
        road bike helmet | Accessories | aerodynamic, ventilated, light | with a MIPS liner and sixteen vents; that weighs 250 grams
        cycling jersey | Clothing | aero, breathable, race-fit | with full zip and three rear pockets; made from recycled fabric
        bike computer | Electronics | smart, GPS, long-lasting | with GPS navigation and power meter support; with turn-by-turn directions
        clipless pedals | Sports Equipment | stiff, light, adjustable | with adjustable float and release tension
        bike lights | Accessories | bright, rechargeable, visible | rated to 1200 lumens; with a daytime flash mode
        indoor bike trainer | Sports Equipment | smart, quiet, direct-drive | with a direct-drive smart resistance unit; that simulates climbs up to 20 percent
        padded bib shorts | Clothing | comfortable, supportive, compressive | with a chamois pad for long rides; with mesh straps
        """,
        "for long road rides and sportives|for winter training on Zwift|for commuting by bike|for gravel adventures",
        "cycling|road cycling on weekends|bike commuting|gravel riding",
        "road_running|hiking",
    ),
    # ---------------------------------------------------------------- kitchen
    "baking": (
        "kitchen", "Baking and bread", """
        sourdough starter kit | Kitchen | complete, rustic, beginner-friendly | with a live starter, jar and step-by-step guide
        bread proofing basket | Kitchen | rattan, rustic, round | with a rattan banneton and linen liner; that gives loaves a floured spiral
        stand mixer | Appliances | powerful, professional, tilt-head | with a 1000 watt motor and dough hook; with a five litre steel bowl
        cake tin set | Kitchen | non-stick, heavy-gauge, springform | with a loose base for easy release; that bakes evenly with crisp edges
        digital kitchen scale | Kitchen | precise, slim, easy-to-clean | accurate to a tenth of a gram; with a tare button and timer
        baking steel | Kitchen | heavy, conductive, professional | that bakes pizza with a blistered crust; that holds heat better than stone
        bread flour | Food & Drink | strong, organic, stoneground | milled from high-protein wheat; grown on a family farm
        """,
        "for crusty sourdough loaves|for birthday cakes and bakes|for weekend pastry projects|for perfect pizza at home",
        "baking sourdough bread|baking cakes|making pastry|home baking",
        "knives|fermentation",
    ),
    "bbq": (
        "kitchen", "Barbecue and grilling", """
        charcoal grill | Outdoor Living | heavy-duty, classic, kettle-style | with a hinged cooking grate; with an ash catcher and lid thermometer
        pellet smoker | Outdoor Living | wireless, smart, large | that holds low and slow temperatures for hours; with app control and meat probes
        meat thermometer | Kitchen | wireless, instant-read, accurate | with a dual-probe wireless display; that reads in two seconds
        barbecue rub | Food & Drink | smoky, sweet, spicy | with a secret blend of paprika and brown sugar; made for pork shoulder and ribs
        smoking wood chips | Outdoor Living | smoky, natural, kiln-dried | with hickory and applewood chips; from sustainably managed forests
        cast iron griddle | Kitchen | pre-seasoned, heavy, reversible | that sears at 400 degrees; with a ridged side for grill marks
        grill tongs | Kitchen | long, stainless steel, locking | with a locking hinge and silicone tips
        """,
        "for slow-smoked brisket and ribs|for summer cookouts in the backyard|for grilling steaks to perfection|"
        "for pulled pork and competition barbecue",
        "barbecue and smoking meat|grilling in the backyard|low and slow BBQ|cooking over fire",
        "camping|knives",
    ),
    "knives": (
        "kitchen", "Knives and cookware", """
        chef's knife | Kitchen | razor-sharp, hand-forged, Japanese | forged from Damascus steel with 67 layers; with a full tang and pakkawood handle
        whetstone | Kitchen | dual-grit, precise, traditional | with a 1000 and 6000 grit combination; with a non-slip bamboo base
        carbon steel wok | Kitchen | hand-hammered, light, traditional | that gets better with every use; with a wooden helper handle
        cast iron skillet | Kitchen | pre-seasoned, heirloom, heavy | that goes from hob to oven; that lasts for generations
        Dutch oven | Kitchen | enamelled, heavy, colourful | with an enamelled interior; that holds five litres of stew
        end-grain cutting board | Kitchen | walnut, heavy, knife-friendly | made from walnut end grain; with rubber feet and a juice groove
        copper saucepan | Kitchen | responsive, elegant, professional | with a tin lining and a cast bronze handle
        """,
        "for precise slicing and dicing|for high-heat stir fries|for braises and slow-cooked stews|"
        "for cooks who take their tools seriously",
        "Japanese knives|cooking with cast iron|sharpening knives|stir fry cooking",
        "baking|bbq|fermentation",
    ),
    "fermentation": (
        "kitchen", "Fermenting and preserving", """
        fermentation crock | Kitchen | stoneware, traditional, water-sealed | with a water-sealed rim and ceramic weights; that holds five litres of sauerkraut
        kombucha brewing kit | Kitchen | complete, organic, beginner-friendly | with a SCOBY and organic tea; with a glass jar and pH strips
        pickling jars | Kitchen | glass, airtight, reusable | with one-way airlock valves; with wide mouths for easy packing
        kefir grains | Food & Drink | live, probiotic, organic | with live cultures for creamy kefir
        home brewing kit | Kitchen | complete, beginner-friendly, reusable | that makes five litres of pale ale; with hops, malt and a fermenter
        canning set | Kitchen | complete, food-safe, sturdy | with a jar lifter and funnel; with a rack for a water bath
        """,
        "for homemade sauerkraut and kimchi|for brewing kombucha on the counter|for preserving the summer harvest|"
        "for gut-friendly ferments",
        "fermenting kimchi and sauerkraut|brewing kombucha|home brewing beer|pickling and preserving",
        "baking|vegetables",
    ),
    "vegan": (
        "kitchen", "Plant-based cooking", """
        plant-based cookbook | Books | colourful, wholesome, simple | with 120 recipes built around vegetables and grains; with weekly meal plans
        high-speed blender | Appliances | powerful, versatile, quiet | with a 2 horsepower motor for silky smoothies; that makes oat milk in a minute
        tofu press | Kitchen | simple, sturdy, spring-loaded | that presses firm tofu in fifteen minutes
        spiralizer | Kitchen | handy, compact, sharp | that turns courgettes into noodles; with three blade sizes
        nutritional yeast | Food & Drink | cheesy, savoury, fortified | with cheesy flavour and vitamin B12
        plant protein powder | Food & Drink | vegan, smooth, vanilla | made from pea and rice protein; with no added sugar
        meal prep containers | Kitchen | glass, leak-proof, stackable | with divided compartments; that go from freezer to oven
        """,
        "for meat-free weeknight dinners|for smoothies and oat milk|for weekly meal prep|for new vegans and curious cooks",
        "vegan cooking|plant-based eating|meal prepping healthy food|smoothies",
        "fermentation|strength|vegetables",
    ),
    # ---------------------------------------------------------------- coffee & tea
    "coffee_beans": (
        "coffee_tea", "Specialty coffee beans", """
        single-origin coffee beans | Food & Drink | fruity, floral, light-roast | from a single farm in the Ethiopian highlands; with notes of blueberry and jasmine; from a women-led cooperative in Colombia
        espresso blend | Food & Drink | chocolatey, rich, medium-roast | with tasting notes of dark chocolate and cherry; roasted to order in small batches
        decaf coffee | Food & Drink | smooth, sweet, caffeine-free | decaffeinated with the Swiss water process; with notes of caramel and hazelnut
        coffee subscription | Food & Drink | curated, seasonal, fresh | with a new origin every month; roasted to order and posted within two days
        cold brew coffee | Food & Drink | smooth, concentrated, ready-to-drink | steeped for eighteen hours; with a naturally sweet finish
        green coffee beans | Food & Drink | unroasted, traceable, washed | for roasting at home; from a washed lot in Kenya
        """,
        "for filter coffee lovers|for a sweet and balanced espresso|for exploring new origins each month|"
        "for your morning ritual",
        "specialty coffee|trying single-origin coffees|third-wave coffee|light roast coffee",
        "espresso|pour_over",
    ),
    "espresso": (
        "coffee_tea", "Espresso at home", """
        espresso machine | Appliances | dual-boiler, stainless steel, programmable | with PID temperature control and a steam wand; with pre-infusion and a pressure gauge
        burr grinder | Appliances | precise, quiet, stepless | with 64 millimetre flat burrs; that dials in shots in seconds
        tamper | Kitchen | calibrated, weighty, stainless steel | calibrated for a 58 millimetre basket; with a walnut handle
        milk frothing jug | Kitchen | stainless steel, precise, barista-grade | with a latte art spout; with measurement marks inside
        bottomless portafilter | Kitchen | barista-grade, precise, naked | that shows channelling in every shot
        espresso cups | Kitchen | porcelain, thick-walled, classic | that keep a double shot hot; in a set of four
        descaling solution | Kitchen | gentle, effective, eco-friendly | that keeps the boiler free of limescale
        """,
        "for cafe-quality flat whites at home|for pulling shots like a barista|for latte art practice|for home baristas",
        "making espresso at home|latte art|home barista life|dialing in espresso",
        "coffee_beans|pour_over",
    ),
    "pour_over": (
        "coffee_tea", "Pour-over and filter coffee", """
        pour-over dripper | Kitchen | ceramic, elegant, classic | with a spiral ribbed cone for even extraction
        gooseneck kettle | Appliances | temperature-controlled, precise, elegant | with variable temperature and hold mode; with a slim spout for a steady pour
        hand grinder | Kitchen | portable, precise, manual | that grinds evenly for filter; with steel conical burrs
        AeroPress | Kitchen | portable, durable, versatile | that brews a clean cup in two minutes; with a travel lid and filters
        French press | Kitchen | double-walled, classic, sturdy | with a fine mesh plunger; that keeps coffee hot for an hour
        coffee scale | Kitchen | precise, slim, rechargeable | with a built-in brewing timer; accurate to a tenth of a gram
        glass carafe | Kitchen | elegant, heat-resistant, hand-blown | hand-blown from borosilicate glass; with a cork collar
        """,
        "for slow morning brews|for clean, bright filter coffee|for brewing coffee while travelling|for manual brewing rituals",
        "pour-over coffee|brewing filter coffee|AeroPress recipes|manual coffee brewing",
        "coffee_beans|loose_tea",
    ),
    "loose_tea": (
        "coffee_tea", "Loose-leaf tea", """
        oolong tea | Food & Drink | fragrant, hand-rolled, smooth | hand-rolled on a family farm in Taiwan; that can be steeped five times
        green tea | Food & Drink | delicate, grassy, organic | picked in early spring; steamed in the Japanese style
        earl grey | Food & Drink | aromatic, citrusy, classic | with bergamot oil and cornflower petals
        herbal infusion | Food & Drink | soothing, caffeine-free, organic | blended with chamomile and lemon balm
        cast iron teapot | Kitchen | heavy, traditional, enamelled | with an enamelled interior and a steel infuser
        tea infuser | Kitchen | fine, stainless steel, reusable | with a fine stainless steel mesh
        gongfu tea set | Kitchen | porcelain, elegant, traditional | with a gaiwan, fairness pitcher and six cups
        """,
        "for a calm afternoon cup|for gongfu brewing sessions|for tea lovers exploring new gardens|for winding down at night",
        "loose leaf tea|oolong and green tea|tea ceremonies|herbal teas",
        "matcha|pour_over",
    ),
    "matcha": (
        "coffee_tea", "Matcha and chai", """
        ceremonial matcha | Food & Drink | vibrant, stone-ground, ceremonial-grade | stone-ground in Uji from shade-grown leaves
        bamboo whisk | Kitchen | handmade, traditional, fine | with a hundred-prong bamboo chasen
        matcha bowl | Kitchen | handmade, glazed, wide | thrown by hand and glazed in deep green
        chai spice blend | Food & Drink | spiced, warming, aromatic | with cardamom, cinnamon and black pepper
        hojicha powder | Food & Drink | roasted, toasty, low-caffeine | roasted for a toasty, low-caffeine cup
        milk frother | Appliances | quick, creamy, rechargeable | that makes a velvety foam in seconds
        golden latte mix | Food & Drink | warming, earthy, creamy | with turmeric and ginger
        """,
        "for morning matcha lattes|for a calm energy boost|for cosy chai evenings|for whisking a traditional bowl",
        "matcha lattes|chai|Japanese tea|whisking matcha",
        "loose_tea|vegan",
    ),
    # ---------------------------------------------------------------- gaming
    "board_games": (
        "gaming", "Board games", """
        strategy board game | Games | strategic, award-winning, competitive | for two to five players in about ninety minutes; where every player builds an engine of resources
        cooperative board game | Games | cooperative, tense, replayable | where players race together against the board; with a legacy campaign across twelve sessions
        card drafting game | Games | quick-playing, clever, colourful | with over two hundred beautifully illustrated cards; that teaches in ten minutes
        party game | Games | hilarious, loud, family-friendly | for up to twelve players; with five hundred word cards
        deck-building game | Games | strategic, compact, replayable | with a modular board that changes every game
        board game sleeves | Games | clear, durable, snug | that protect your cards from wear; in packs of one hundred
        dice tower | Games | wooden, sturdy, foldable | with a tray that catches every roll
        """,
        "for family game night|for serious strategy gamers|for parties and big groups|for two-player evenings",
        "board games|strategy games with friends|game nights|Euro board games",
        "ttrpg|puzzles",
    ),
    "ttrpg": (
        "gaming", "Tabletop role-playing", """
        polyhedral dice set | Games | resin, glittering, hand-inked | with seven resin dice and a velvet pouch
        role-playing rulebook | Books | epic, immersive, illustrated | with a campaign setting and new monsters
        game master screen | Games | sturdy, four-panel, handy | with initiative trackers on the inside
        miniature painting kit | Games | complete, detailed, beginner-friendly | with eight paints, brushes and primer
        fantasy miniatures | Games | detailed, unpainted, heroic | with 28 millimetre heroes ready to paint
        battle map | Games | wet-erase, foldable, gridded | with a wet-erase grid on both sides
        adventure module | Books | dungeon-ready, immersive, legendary | with a dungeon crawl for levels one to five
        """,
        "for Dungeons and Dragons campaigns|for game masters running their first session|for painting an army of heroes|"
        "for epic fantasy adventures",
        "Dungeons and Dragons|tabletop role-playing games|painting miniatures|running RPG campaigns",
        "board_games|fantasy",
    ),
    "video_games": (
        "gaming", "Console and PC games", """
        open-world video game | Games | immersive, sprawling, next-gen | with a sprawling world and a hundred hours of quests
        wireless controller | Electronics | ergonomic, responsive, rechargeable | with haptic feedback and adaptive triggers
        gaming headset | Electronics | immersive, comfortable, wireless | with 7.1 surround sound and a noise-cancelling mic
        gaming mouse | Electronics | lightweight, precise, RGB | with a 26000 DPI optical sensor
        mechanical gaming keyboard | Electronics | RGB, responsive, hot-swappable | with hot-swappable linear switches
        game capture card | Electronics | low-latency, compact, 4K | that records 4K at 60 frames per second
        racing wheel | Electronics | force-feedback, realistic, sturdy | with force feedback and metal pedals
        """,
        "for competitive online matches|for long gaming sessions|for racing simulators|for streaming your gameplay",
        "video games|PC gaming|console gaming|competitive online games",
        "retro_gaming|headphones",
    ),
    "retro_gaming": (
        "gaming", "Retro gaming", """
        retro handheld console | Electronics | portable, pixel-perfect, nostalgic | with a backlit screen and hundreds of classic titles
        mini classic console | Electronics | classic, 8-bit, compact | with two original-style controllers
        arcade stick | Electronics | arcade, clicky, sturdy | with Sanwa buttons and a ball-top lever
        CRT display adapter | Electronics | pixel-perfect, low-lag, HDMI | that upscales classic consoles to HDMI
        pixel art book | Books | nostalgic, illustrated, collectable | that celebrates the golden age of arcades
        retro controller | Electronics | wireless, classic, clicky | with a clicky D-pad and modern Bluetooth
        """,
        "for reliving the games of your childhood|for speedrunning classic platformers|for arcade fighting games|"
        "for collectors of vintage consoles",
        "retro gaming|collecting old consoles|arcade games|8-bit classics",
        "video_games|board_games",
    ),
    "puzzles": (
        "gaming", "Puzzles and brain teasers", """
        1000-piece jigsaw puzzle | Games | colourful, challenging, relaxing | with thick, perfectly cut pieces and a poster guide
        speed cube | Games | fast, magnetic, smooth | with magnetic positioning for smooth turns
        wooden puzzle box | Games | mind-bending, handmade, wooden | with a secret compartment and twelve moves
        crossword book | Books | cryptic, clever, pocket-size | with 200 cryptic clues
        puzzle mat | Games | roll-up, felt, handy | that rolls up to save a puzzle in progress
        escape room game | Games | tense, clever, cooperative | with an hour-long mystery to crack
        3D metal puzzle | Games | intricate, metal, challenging | with laser-cut steel sheets and no glue
        """,
        "for quiet evenings and rainy days|for speedcubers chasing a new record|for sharpening the mind|"
        "for puzzle lovers of every age",
        "jigsaw puzzles|crosswords and logic puzzles|Rubik's cubes|escape room games",
        "board_games|crime",
    ),
    # ---------------------------------------------------------------- photo
    "cameras": (
        "photo", "Cameras", """
        mirrorless camera | Electronics | full-frame, weather-sealed, fast | with a 24 megapixel sensor and in-body stabilisation; with eye-tracking autofocus
        compact camera | Electronics | pocketable, sharp, versatile | with a 1 inch sensor and a fast zoom lens
        action camera | Electronics | rugged, waterproof, stabilised | that shoots 5K video underwater; with horizon levelling
        camera strap | Accessories | leather, comfortable, quick-release | with quick-release anchors
        spare camera battery | Electronics | long-lasting, reliable, rechargeable | with USB-C charging
        SD memory card | Electronics | fast, reliable, high-capacity | with V90 speed for 8K video
        camera bag | Bags & Packs | padded, weatherproof, roomy | with padded dividers for two bodies and four lenses
        """,
        "for street and travel photography|for sports and wildlife action|for upgrading from a phone camera|"
        "for capturing family moments",
        "photography|street photography|travel photography|taking pictures with my mirrorless camera",
        "lenses|film_photo",
    ),
    "lenses": (
        "photo", "Lenses and filters", """
        prime lens | Electronics | sharp, fast-aperture, compact | with an f/1.8 aperture and creamy bokeh
        telephoto zoom lens | Electronics | long, optically stabilised, fast-focusing | that reaches 600 millimetres for distant birds
        macro lens | Electronics | sharp, precise, stabilised | with 1:1 magnification
        wide-angle lens | Electronics | wide, sharp, weather-sealed | with nano-coated glass that cuts flare
        ND filter | Accessories | neutral, sharp, magnetic | that slows the shutter for silky waterfalls
        polarising filter | Accessories | slim, multi-coated, sharp | that deepens blue skies and cuts reflections
        teleconverter | Electronics | compact, sharp, weather-sealed | that multiplies focal length by 1.4
        """,
        "for portraits with beautiful background blur|for wildlife and birds in flight|for landscapes at golden hour|"
        "for close-ups of insects and flowers",
        "wildlife photography|landscape photography|portrait photography|macro photography",
        "cameras|birding",
    ),
    "drones": (
        "photo", "Drones and aerial video", """
        camera drone | Electronics | foldable, stable, cinematic | with a 4K camera on a three-axis gimbal; with 40 minutes of flight time; that weighs under 250 grams
        FPV drone | Electronics | agile, fast, durable | with low-latency digital video; built for freestyle flips
        drone battery | Electronics | high-capacity, smart, swappable | with 40 minutes of flight time
        drone propellers | Electronics | quiet, balanced, quick-release | in a set of eight quick-release blades
        drone landing pad | Accessories | foldable, bright, waterproof | that keeps dust out of the gimbal
        FPV goggles | Electronics | immersive, low-latency, light | with 10 kilometre video transmission
        """,
        "for aerial photos of coastlines|for freestyle FPV flying|for real estate and wedding videos|for cinematic travel footage",
        "flying drones|aerial photography|FPV drone racing|drone videos",
        "cameras|video",
    ),
    "film_photo": (
        "photo", "Film photography", """
        35mm film camera | Electronics | analogue, mechanical, vintage | with a fully mechanical shutter and light meter
        colour film rolls | Accessories | vibrant, fine-grained, classic | with rich colours and fine grain at ISO 400
        black and white film | Accessories | grainy, classic, contrasty | with deep blacks at ISO 400
        darkroom developing kit | Accessories | complete, analogue, beginner-friendly | with a changing bag and developing tank
        instant camera | Electronics | instant, fun, retro | that prints credit-card sized photos in seconds
        film scanner | Electronics | sharp, simple, fast | that scans negatives at 3600 dpi
        medium format camera | Electronics | vintage, mechanical, square-format | with a 6x6 square frame
        """,
        "for shooting and developing your own film|for analogue street photography|for party snapshots you can hold|"
        "for the slow joy of film",
        "film photography|shooting 35mm film|developing film in the darkroom|instant photos",
        "cameras|lenses",
    ),
    "video": (
        "photo", "Video and lighting", """
        LED video light | Electronics | bi-colour, bright, dimmable | with adjustable colour temperature from 2700 to 6500 kelvin
        softbox | Electronics | soft, collapsible, large | that sets up in under a minute
        shotgun microphone | Electronics | directional, broadcast-quality, light | with a supercardioid pickup pattern
        gimbal stabiliser | Electronics | stable, foldable, smart | with a three-axis motor and follow mode
        video tripod | Accessories | fluid, sturdy, adjustable | with a fluid head and quick-release plate
        ring light | Electronics | bright, even, dimmable | with a phone holder and remote
        camera slider | Accessories | smooth, motorised, portable | with a motorised time-lapse mode
        """,
        "for YouTube videos and vlogs|for interviews and short films|for product photography at home|for live streaming",
        "making YouTube videos|filmmaking|vlogging|video production",
        "drones|recording",
    ),
    # ---------------------------------------------------------------- garden
    "houseplants": (
        "garden", "Houseplants", """
        monstera plant | Plants | leafy, tropical, easy-care | with split leaves and a moss pole
        peace lily | Plants | air-purifying, low-maintenance, elegant | that thrives in low light
        succulent set | Plants | low-maintenance, colourful, compact | in six hand-glazed ceramic pots
        self-watering pot | Home | smart, glazed, modern | with a water reservoir that lasts two weeks
        grow light | Home | full-spectrum, slim, timed | with a full-spectrum LED panel and timer
        plant mister | Home | fine, glass, elegant | with a fine spray for humidity-loving plants
        aroid potting mix | Garden | chunky, airy, organic | with chunky bark and perlite for healthy roots
        """,
        "for bright living rooms and shady corners|for new plant parents|for an urban jungle at home|"
        "for keeping tropical plants happy in winter",
        "houseplants|my urban jungle|caring for indoor plants|collecting rare aroids",
        "vegetables|garden_tools",
    ),
    "vegetables": (
        "garden", "Vegetable gardening", """
        heirloom tomato seeds | Garden | heirloom, organic, high-yield | with twenty varieties of open-pollinated seeds
        raised garden bed | Garden | cedar, sturdy, easy-build | made from untreated cedar wood
        seed starting tray | Garden | reusable, ventilated, compact | with a humidity dome and heat mat
        organic fertiliser | Garden | organic, slow-release, natural | made from seaweed and chicken manure
        greenhouse | Garden | sturdy, walk-in, ventilated | with roll-up windows and shelving
        herb garden kit | Garden | easy-grow, compact, organic | with basil, parsley and chives
        vegetable seed collection | Garden | heavy-cropping, organic, easy-grow | with beans, courgettes, carrots and salad leaves
        """,
        "for growing your own salad and tomatoes|for allotments and kitchen gardens|for starting seeds indoors in spring|"
        "for a summer full of homegrown food",
        "growing vegetables|my allotment|growing tomatoes|kitchen gardening",
        "composting|houseplants|fermentation",
    ),
    "garden_tools": (
        "garden", "Garden tools and lawn", """
        pruning shears | Garden | sharp, ergonomic, bypass | with bypass blades that cut cleanly through branches
        cordless lawn mower | Garden | quiet, cordless, powerful | with a 40 volt battery and mulching blade
        hose reel | Garden | wall-mounted, tidy, durable | that rolls up thirty metres of hose
        hedge trimmer | Garden | cordless, light, sharp | with a brushless motor and laser-cut blades
        wheelbarrow | Garden | heavy-duty, stable, galvanised | with a puncture-proof tyre
        garden gloves | Garden | thorn-proof, durable, comfortable | with thorn-proof leather palms
        border spade | Garden | forged, sturdy, classic | with a steel blade and ash handle
        """,
        "for tidy hedges and a striped lawn|for pruning fruit trees|for big autumn clear-ups|for serious gardeners",
        "gardening|lawn care|pruning roses|keeping the garden tidy",
        "vegetables|composting",
    ),
    "composting": (
        "garden", "Composting and wildlife gardening", """
        compost bin | Garden | recycled, large, insulated | made from recycled plastic with a hatch at the base
        worm farm | Garden | compact, eco-friendly, stackable | with three stacking trays of tiger worms
        bokashi bin | Garden | airtight, compact, kitchen-friendly | that ferments kitchen scraps in two weeks
        bee hotel | Garden | wildlife-friendly, wooden, natural | that attracts solitary bees and ladybirds
        hedgehog house | Garden | insulated, wildlife-friendly, sturdy | with a tunnel entrance that keeps out predators
        wildflower seed mix | Garden | native, colourful, pollinator-friendly | with native meadow flowers
        rain water butt | Garden | large, recycled, sustainable | that collects two hundred litres of rain
        """,
        "for turning kitchen scraps into rich soil|for a garden that welcomes wildlife|for pollinator-friendly borders|"
        "for saving water in dry summers",
        "composting|wildlife gardening|saving bees|sustainable living",
        "vegetables|birding",
    ),
    "birding": (
        "garden", "Bird watching", """
        bird feeder | Garden | weatherproof, squirrel-proof, sturdy | that keeps squirrels out; with a camera that identifies visiting birds
        binoculars | Accessories | waterproof, bright, close-focusing | with 8x42 optics and a wide field of view
        bird bath | Garden | frost-proof, stone, elegant | with a shallow basin that small birds love
        nest box | Garden | wooden, wildlife-friendly, weatherproof | with a 32 millimetre entrance hole for tits
        bird seed mix | Garden | nutritious, no-mess, wild | with sunflower hearts and suet
        bird field guide | Books | illustrated, pocket-size, authoritative | with illustrations of 700 species
        spotting scope | Accessories | powerful, waterproof, angled | with 20 to 60 times zoom
        """,
        "for watching garden birds from the kitchen window|for dawn walks to spot warblers|for feeding birds through winter|"
        "for keen twitchers",
        "bird watching|birding walks|feeding garden birds|spotting rare birds",
        "composting|lenses|hiking",
    ),
    # ---------------------------------------------------------------- music
    "guitars": (
        "music", "Guitars", """
        acoustic guitar | Instruments | resonant, warm, handcrafted | with a solid spruce top and mahogany back
        electric guitar | Instruments | vintage, versatile, punchy | with humbucking pickups and a maple neck
        guitar amplifier | Instruments | hand-wired, warm, loud | with a valve preamp and spring reverb
        guitar strings | Instruments | bright, long-lasting, coated | with phosphor bronze windings
        effects pedal | Instruments | analog, true-bypass, gritty | with true bypass and analog overdrive
        capo | Instruments | quick-change, light, precise | that clamps evenly across six strings
        gig bag | Bags & Packs | padded, water-resistant, sturdy | with a padded shoulder strap
        """,
        "for strumming around the campfire|for blues and rock solos|for practising at home|for playing live gigs",
        "playing guitar|electric guitar|fingerstyle acoustic guitar|guitar pedals",
        "recording|synths",
    ),
    "synths": (
        "music", "Synths and keyboards", """
        analogue synthesizer | Instruments | analogue, polyphonic, hands-on | with four voices and a resonant ladder filter
        MIDI keyboard | Instruments | compact, velocity-sensitive, plug-and-play | with 49 velocity-sensitive keys; with pads, knobs and faders
        drum machine | Instruments | punchy, hands-on, vintage-inspired | with a sixteen step sequencer
        digital piano | Instruments | weighted, realistic, slim | with 88 hammer-action keys
        modular synth module | Instruments | experimental, compact, analogue | that fits a Eurorack case
        sustain pedal | Instruments | durable, universal, quiet | with a piano-style action
        """,
        "for producing electronic music|for learning to play piano|for live techno sets|for sound design experiments",
        "synthesizers|electronic music production|playing piano|modular synths",
        "recording|guitars",
    ),
    "recording": (
        "music", "Home recording", """
        audio interface | Electronics | studio-grade, low-noise, compact | with two mic preamps and phantom power; with 24-bit 192 kilohertz conversion
        condenser microphone | Electronics | studio-grade, clear, sensitive | with a large diaphragm and cardioid pattern
        studio monitors | Electronics | flat, accurate, powered | with a flat frequency response
        acoustic panels | Home | absorbent, fire-rated, stylish | that tame reflections in small rooms
        microphone arm | Electronics | sturdy, quiet, flexible | that clamps to any desk
        studio headphones | Electronics | closed-back, accurate, comfortable | with a closed-back design
        pop filter | Electronics | double-layer, flexible, clear | that stops plosives on vocals
        """,
        "for recording vocals and podcasts|for mixing in a home studio|for producing your first EP|for voice-over work",
        "home recording|podcasting|mixing music|building a home studio",
        "synths|video|guitars",
    ),
    "vinyl": (
        "music", "Vinyl and records", """
        turntable | Electronics | belt-drive, audiophile, elegant | with a carbon fibre tonearm
        vinyl record | Music | remastered, 180-gram, classic | pressed on 180 gram vinyl; remastered from the original tapes
        limited edition LP | Music | collectable, coloured, numbered | on coloured vinyl with a numbered sleeve
        record cleaning kit | Electronics | gentle, anti-static, complete | with a velvet brush and cleaning fluid
        phono preamp | Electronics | quiet, warm, audiophile | with moving magnet and moving coil inputs
        record storage crate | Home | wooden, sturdy, stackable | that holds eighty LPs
        replacement stylus | Electronics | precise, diamond, audiophile | with an elliptical diamond tip
        """,
        "for Sunday afternoons with a record on|for building a vinyl collection|for jazz and soul listening sessions|"
        "for crate diggers",
        "collecting vinyl records|listening to records|jazz on vinyl|crate digging",
        "headphones|guitars",
    ),
    "headphones": (
        "music", "Headphones and hi-fi", """
        noise-cancelling headphones | Electronics | wireless, immersive, comfortable | with adaptive noise cancelling and thirty hours of battery
        wireless earbuds | Electronics | compact, wireless, sweat-proof | with spatial audio and a pocket charging case
        open-back headphones | Electronics | detailed, spacious, audiophile | with planar magnetic drivers
        bookshelf speakers | Electronics | warm, detailed, compact | with a warm, detailed soundstage
        headphone amplifier | Electronics | balanced, clean, powerful | with a balanced output
        DAC | Electronics | hi-res, compact, transparent | that decodes hi-res audio up to 32 bit
        soundbar | Electronics | immersive, slim, wireless | with Dolby Atmos and a wireless subwoofer
        """,
        "for listening on the commute|for critical listening at home|for focus at work|for movie nights",
        "hi-fi audio|headphones|audiophile listening|good sound at home",
        "vinyl|video_games|recording",
    ),
    # ---------------------------------------------------------------- pets
    "dogs": (
        "pets", "Dogs", """
        dog harness | Pet Supplies | no-pull, reflective, padded | with a front clip that stops pulling
        orthopaedic dog bed | Pet Supplies | orthopaedic, washable, cosy | with memory foam for older joints
        chew toy | Pet Supplies | tough, durable, natural | made from natural rubber for heavy chewers
        grain-free dog food | Pet Supplies | grain-free, high-protein, natural | with real salmon as the first ingredient
        retractable lead | Pet Supplies | ergonomic, strong, reflective | with a five metre cord and brake button
        dog training treats | Pet Supplies | small, soft, tasty | that fit in your pocket for puppy training
        dog crate | Pet Supplies | foldable, sturdy, secure | that folds flat for the car
        """,
        "for long walks with your dog|for puppy training|for big breeds and heavy chewers|for senior dogs",
        "my dog|walking my dog|training my puppy|dog agility",
        "hiking|cats",
    ),
    "cats": (
        "pets", "Cats", """
        cat tree | Pet Supplies | tall, sturdy, cosy | with three levels and a hammock
        cat litter | Pet Supplies | clumping, odour-control, dust-free | that clumps fast and controls odours
        cat scratching post | Pet Supplies | sisal, tall, sturdy | wrapped in natural sisal rope
        feather wand toy | Pet Supplies | interactive, playful, colourful | that triggers the hunting instinct
        wet cat food | Pet Supplies | tender, grain-free, tasty | in tender chunks with real chicken
        cat water fountain | Pet Supplies | quiet, filtered, ceramic | with a carbon filter and quiet pump
        cat carrier | Pet Supplies | airy, secure, vet-friendly | with a top opening for easy vet visits
        """,
        "for indoor cats who love to climb|for kittens full of energy|for fussy eaters|for multi-cat households",
        "my cats|cat care|adopting a kitten|spoiling my cat",
        "dogs|small_pets",
    ),
    "aquarium": (
        "pets", "Aquariums and fish", """
        aquarium tank | Pet Supplies | crystal-clear, rimless, nano | with a 60 litre low-iron glass tank
        canister filter | Pet Supplies | quiet, powerful, three-stage | with a three-stage filter
        aquarium heater | Pet Supplies | precise, safe, adjustable | that keeps water at a steady 25 degrees
        live aquarium plants | Pet Supplies | lush, easy-grow, tropical | with carpeting plants and java fern
        water test kit | Pet Supplies | accurate, complete, simple | for nitrate, nitrite and pH
        aquascaping rocks | Pet Supplies | natural, textured, safe | with dragon stone and driftwood
        aquarium LED | Pet Supplies | planted, programmable, bright | with a sunrise and sunset cycle
        """,
        "for planted nano tanks|for a community of tropical fish|for aquascaping like a pro|for shrimp keepers",
        "aquariums|aquascaping|keeping tropical fish|shrimp tanks",
        "houseplants|small_pets",
    ),
    "small_pets": (
        "pets", "Rabbits, guinea pigs and birds", """
        rabbit hutch | Pet Supplies | spacious, weatherproof, wooden | with a run and a weatherproof roof
        guinea pig cage | Pet Supplies | spacious, easy-clean, indoor | with a deep base and ramp
        timothy hay | Pet Supplies | fresh, natural, fibre-rich | made from second-cut meadow hay
        bird cage | Pet Supplies | tall, airy, sturdy | with perches and a seed guard
        parrot toys | Pet Supplies | chewable, colourful, natural | carved from willow and coconut
        hamster wheel | Pet Supplies | silent, safe, solid | with a silent spinner
        small animal bedding | Pet Supplies | dust-free, absorbent, soft | made from paper and free of dust
        """,
        "for happy rabbits and guinea pigs|for budgies and cockatiels|for hamsters that run all night|for small pets indoors",
        "my rabbits|guinea pigs|keeping budgies|small pets",
        "cats|aquarium|birding",
    ),
    "pet_health": (
        "pets", "Pet health and grooming", """
        deshedding brush | Pet Supplies | gentle, effective, ergonomic | that removes loose undercoat in minutes
        pet nail clipper | Pet Supplies | safe, sharp, ergonomic | with a safety guard and nail file
        flea treatment | Pet Supplies | fast-acting, vet-approved, long-lasting | that protects for a full month
        pet shampoo | Pet Supplies | gentle, soothing, hypoallergenic | with oatmeal and aloe vera for sensitive skin
        joint supplement | Pet Supplies | vet-approved, natural, tasty | with glucosamine and green-lipped mussel
        dental chews | Pet Supplies | tasty, natural, daily | that clean teeth and freshen breath
        GPS pet tracker | Electronics | light, waterproof, real-time | that tracks your pet in real time
        """,
        "for shiny coats and less shedding|for pets with sensitive skin|for keeping pets healthy between vet visits|"
        "for adventurous pets who wander",
        "pet grooming|keeping my pets healthy|natural pet care|grooming my dog",
        "dogs|cats",
    ),
    # ---------------------------------------------------------------- reading
    "crime": (
        "reading", "Crime and thrillers", """
        crime novel | Books | gripping, dark, atmospheric | about a detective hunting a killer in a coastal town; about a cold case reopened after twenty years
        psychological thriller | Books | twisty, chilling, suspenseful | where nothing is what it seems; told by an unreliable narrator
        detective series box set | Books | gripping, classic, atmospheric | with the first four cases of an inspector in Edinburgh
        true crime book | Books | chilling, meticulous, gripping | about a con artist who fooled a city
        spy thriller | Books | fast-paced, tense, twisty | following a spy who trusts no one; with a twist you will never see coming
        """,
        "for fans of Nordic noir|for readers who love a twisty mystery|for late nights with the lights on|"
        "for true crime podcast fans",
        "crime novels|thrillers|murder mysteries|true crime",
        "puzzles|history",
    ),
    "scifi": (
        "reading", "Science fiction", """
        science fiction novel | Books | visionary, thought-provoking, mind-bending | about first contact with an alien intelligence; where time travel unravels history
        space opera | Books | epic, sweeping, action-packed | about a generation ship drifting between stars; about a mission to terraform Mars
        cyberpunk novel | Books | dystopian, gritty, neon-soaked | set in a neon city ruled by corporations; about an artificial mind that wakes up
        sci-fi anthology | Books | visionary, varied, award-winning | with twenty stories about our robotic future
        hard science fiction novel | Books | rigorous, mind-bending, futuristic | about a physicist stranded on a dying space station
        """,
        "for fans of big ideas and space battles|for readers who love hard science|for anyone who grew up on Star Trek|"
        "for readers of classic dystopias",
        "science fiction|space opera|cyberpunk|sci-fi novels",
        "fantasy|video_games",
    ),
    "fantasy": (
        "reading", "Fantasy", """
        epic fantasy novel | Books | epic, sweeping, magical | about a young mage and an ancient prophecy; with dragons, thieves and a lost crown
        fantasy trilogy box set | Books | epic, enchanting, legendary | with a hand-drawn map of the realm
        urban fantasy novel | Books | dark, witty, magical | where magic returns to a modern city
        illustrated fairy tales | Books | whimsical, enchanting, beautifully illustrated | retold with stunning illustrations
        young adult fantasy novel | Books | enchanting, romantic, magical | about an unlikely heroine and a cursed forest
        """,
        "for fans of dragons and sword-and-sorcery|for readers who want to get lost in another world|"
        "for fans of Tolkien and his heirs|for teen readers and grown-ups alike",
        "fantasy novels|epic fantasy|dragons and magic|reading fantasy series",
        "scifi|ttrpg",
    ),
    "history": (
        "reading", "History and biography", """
        history book | Books | meticulous, sweeping, vivid | about the rise and fall of ancient Rome; drawing on letters and diaries of the time
        biography | Books | intimate, revealing, award-winning | about a life in politics and its secrets
        historical atlas | Books | detailed, sweeping, illustrated | with two hundred maps of the world's empires
        war history | Books | vivid, moving, meticulous | about the soldiers of the Second World War
        historical novel | Books | vivid, immersive, richly imagined | set in Tudor England
        memoir | Books | honest, moving, intimate | about growing up between two countries
        """,
        "for history buffs|for readers who love true stories|for understanding how we got here|for long winter evenings",
        "history books|biographies|ancient history|World War Two history",
        "crime|fantasy",
    ),
    "kids_books": (
        "reading", "Children's books", """
        picture book | Books | charming, colourful, funny | about a little bear who cannot sleep; with rhymes to read aloud
        bedtime story collection | Books | heartwarming, gentle, beautifully illustrated | with thirty short stories for winding down
        early reader | Books | funny, simple, confidence-building | about a brave girl and her dragon friend
        children's encyclopedia | Books | educational, colourful, fact-packed | with questions and answers about dinosaurs and space
        activity book | Books | colourful, fun, educational | with stickers, mazes and colouring pages
        lift-the-flap book | Books | sturdy, playful, interactive | with sturdy pages for small hands
        """,
        "for bedtime reading with toddlers|for curious kids aged five to eight|for children learning to read|"
        "for rainy afternoons",
        "reading to my kids|children's books|bedtime stories|picture books for toddlers",
        "fantasy|puzzles",
    ),
}

BRANDS: tuple[str, ...] = tuple(
    "Alder|Northpeak|Kestrel|Brightwater|Hollow Oak|Fenwick|Larkspur|Saltmarsh|Cinder|Tallow|Marlow|Quarry|"
    "Ridgeway|Ember & Ash|Halcyon|Juniper|Wren|Osprey Lane|Copperleaf|Moorland|Bramble|Tidewell|Greystone|"
    "Fable|Lumen|Orchard|Pinecrest|Harbor & Co|Vale|Thistle|Aster|Wildgrove|Brook|Summit Supply|Field Day|"
    "Lantern|Meridian|Kinfolk|Drift|Nordwall|Sable|Ironbark|Petal|Nimbus|Canopy|Oakhurst|Fjord|Sparrow|"
    "Sierra|Hearth|Tundra|Basalt|Clover|Rowan|Otter|Heron|Maple|Atlas|Nova|Echo".split("|")
)

MODEL_WORDS: tuple[str, ...] = tuple(
    "Pro|Lite|Air|One|Max|Trail|Flow|Core|Edge|Classic|Studio|Go|Plus|Mini|Select|Origin|Peak|Prime|Zen|"
    "Storm|Arc|Volt|Terra|Aura|Drift|Nomad|Echo|Pulse|Vista".split("|")
)

PACK_SIZES: tuple[str, ...] = tuple("250 g|500 g|1 kg|pack of 3|pack of 6|trial size|family size".split("|"))
BOOK_EDITIONS: tuple[str, ...] = tuple("paperback|hardback|2026 edition|gift edition".split("|"))
FINISHES: tuple[str, ...] = tuple(
    "limited edition|2026 edition|charcoal|forest green|slate blue|sand|black|white|ochre|olive|"
    "small|medium|large".split("|")
)

GENERIC_SENTENCES: tuple[str, ...] = tuple(
    "Ships in recyclable packaging.|Backed by a two-year warranty.|A customer favourite this season.|"
    "Free returns within thirty days.|Designed in our own workshop.|Restocked after selling out.|"
    "Great value for the price.|One of our best sellers.|Makes a thoughtful gift.|"
    "Available while stocks last.".split("|")
)

BOOK_TITLE_WORDS: dict[str, tuple[str, str]] = {
    # key: (first words, second words) combined into "The {first} {second}" or "{second} of {first}"
    "crime": ("Silent|Drowned|Last|Broken|Hidden|Cold|Missing|Burning|Quiet|Seventh",
              "Harbour|Witness|Alibi|Widow|Confession|Winter|Lie|Stranger|Verdict|House"),
    "scifi": ("Distant|Neon|Hollow|Infinite|Red|Silent|Machine|Quantum|Last|Drifting",
              "Stars|Orbit|Colony|Signal|Horizon|Protocol|Engine|Frontier|Ark|Tide"),
    "fantasy": ("Ember|Shadow|Iron|Thorn|Silver|Wild|Sunken|Crimson|Hollow|Winter",
                "Crown|Dragon|Throne|Witch|Forest|Blade|Oath|Kingdom|Song|Tower"),
    "history": ("Roman|Tudor|Forgotten|Great|Northern|Silk|Imperial|Lost|Long|First",
                "Empire|Road|War|Century|Queen|Revolution|Republic|Voyage|Dynasty|Front"),
    "kids_books": ("Little|Sleepy|Brave|Busy|Giant|Tiny|Curious|Happy|Grumpy|Magic",
                   "Bear|Dragon|Fox|Train|Moon|Rabbit|Robot|Garden|Owl|Submarine"),
}

FIRST_NAMES: tuple[str, ...] = tuple(
    "Ana|Ben|Chloe|Dev|Elena|Finn|Grace|Hugo|Ines|Jonas|Kira|Leo|Maya|Nils|Omar|Priya|Quinn|Rosa|Sam|Tara|"
    "Uma|Victor|Wen|Yusuf|Zoe|Aiko|Bruno|Carmen|Diego|Emma".split("|")
)
AUTHOR_SURNAMES: tuple[str, ...] = tuple(
    "Hartley|Okafor|Lindqvist|Moreau|Castellano|Whitfield|Nakamura|Brennan|Sokolova|Adeyemi|Fairbairn|"
    "Holloway|Petrov|Quist|Ramsay|Tanaka|Varga|Winslow|Yilmaz|Zeller".split("|")
)

REVIEW_POSITIVE: tuple[str, ...] = tuple(
    "Really happy with this {noun}.|Exactly what I needed {use}.|The {noun} is {adj} and well made.|"
    "Used it every week since it arrived, no complaints.|Five stars, would buy this {noun} again.|"
    "Better than my old {noun} in every way.|Great quality for the money.".split("|")
)
REVIEW_NEGATIVE: tuple[str, ...] = tuple(
    "The {noun} was smaller than I expected.|Not as {adj} as the description says.|"
    "Arrived late and the box was damaged.|Fine, but I returned it for a different {noun}.|"
    "Decent, though I hoped for more.".split("|")
)

PROFILE_TEMPLATES: tuple[str, ...] = tuple(
    "I'm into {a} and {b}.|Big fan of {a}. Lately also {b}.|Mostly here for {a}.|"
    "{A} is my thing, plus {b} at weekends.|I love {a}, {b} and good coffee.|"
    "Looking for gear for {a}.|Weekdays at a desk, weekends {a}.|Into {a}; slowly getting into {b}.".split("|")
)
