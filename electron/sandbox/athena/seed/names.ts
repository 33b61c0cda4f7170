/**
 * Word lists for synthetic people. Names are common given/family names combined at random, so no
 * generated person corresponds to a real patient; streets are generic, e-mail domains are the
 * IANA-reserved example.* ones and phone exchanges use the fictional 555 exchange.
 */

export const FEMALE_NAMES = [
  'Ana', 'Maria', 'Aisha', 'Mei', 'Priya', 'Fatima', 'Olivia', 'Emma', 'Sofia', 'Chloe', 'Grace', 'Hannah',
  'Yuki', 'Ngozi', 'Leila', 'Camila', 'Isabella', 'Zoe', 'Amara', 'Ingrid', 'Lucia', 'Nadia', 'Rosa', 'Keiko',
  'Thi', 'Anjali', 'Elena', 'Sarah', 'Rebecca', 'Jasmine', 'Hye-jin', 'Dana', 'Marisol', 'Esperanza', 'Ruth',
  'Abigail', 'Noor', 'Linh', 'Tamar', 'Siobhan', 'Brigid', 'Alejandra', 'Imani', 'Keisha', 'Latoya', 'Wen',
  'Ximena', 'Valentina', 'Ayesha', 'Hana',
] as const

export const MALE_NAMES = [
  'Luis', 'James', 'Mohammed', 'Wei', 'Raj', 'Omar', 'Liam', 'Noah', 'Mateo', 'Ethan', 'Daniel', 'David',
  'Hiroshi', 'Chinedu', 'Karim', 'Diego', 'Santiago', 'Lucas', 'Kwame', 'Erik', 'Marco', 'Ivan', 'Jose',
  'Kenji', 'Minh', 'Arjun', 'Nikolai', 'Samuel', 'Isaac', 'Malik', 'Jae-won', 'Tomas', 'Rafael', 'Joaquin',
  'Elijah', 'Benjamin', 'Yusuf', 'Duc', 'Avi', 'Sean', 'Patrick', 'Andres', 'Jamal', 'Darnell', 'Tyrone',
  'Jun', 'Emilio', 'Hamza', 'Tariq', 'Kai',
] as const

export const NEUTRAL_NAMES = ['Alex', 'Jordan', 'Taylor', 'Riley', 'Casey', 'Morgan', 'Avery', 'Quinn', 'Rowan', 'Sage'] as const

export const LAST_NAMES = [
  'Rivera', 'Smith', 'Nguyen', 'Garcia', 'Johnson', 'Chen', 'Patel', 'Okafor', 'Kim', 'Hernandez', 'Williams',
  'Brown', 'Jones', 'Miller', 'Davis', 'Lopez', 'Gonzalez', 'Wilson', 'Anderson', 'Thomas', 'Taylor', 'Moore',
  'Jackson', 'Martin', 'Lee', 'Perez', 'Thompson', 'White', 'Harris', 'Sanchez', 'Clark', 'Ramirez', 'Lewis',
  'Robinson', 'Walker', 'Young', 'Allen', 'King', 'Wright', 'Scott', 'Torres', 'Hill', 'Flores', 'Green',
  'Adams', 'Nelson', 'Baker', 'Hall', 'Campbell', 'Mitchell', 'Carter', 'Roberts', 'Tran', 'Wang', 'Singh',
  'Khan', 'Haddad', 'Mensah', 'Adeyemi', 'Yamamoto', 'Tanaka', 'Sato', 'Park', 'Choi', 'Le', 'Pham', 'Sharma',
  'Gupta', 'Ali', 'Hassan', 'Cohen', 'Levy', "O'Brien", 'Murphy', 'Kowalski', 'Nowak', 'Ivanova', 'Petrov',
  'Rossi', 'Bianchi', 'Schmidt', 'Muller', 'Dubois', 'Silva', 'Santos', 'Oliveira', 'Castillo', 'Morales',
  'Ortiz', 'Gutierrez', 'Chavez', 'Ramos', 'Reyes', 'Cruz', 'Diaz', 'Jimenez', 'Vargas', 'Mendoza', 'Begay',
  'Yazzie', 'Kealoha', 'Nakamura', 'Abdullah', 'Ozturk', 'Van der Berg', 'De la Cruz', 'Smith-Jones',
] as const

export const MIDDLE_INITIALS = ['A', 'B', 'C', 'D', 'E', 'J', 'K', 'L', 'M', 'R', 'S', 'T'] as const

export const SUFFIXES = ['Jr', 'Sr', 'II', 'III'] as const

export const STREET_NAMES = [
  'Main', 'Oak', 'Maple', 'Cedar', 'Elm', 'Washington', 'Lake', 'Hill', 'Park', 'Pine', 'Walnut', 'Sunset',
  'Ridge', 'Mill', 'Church', 'Spring', 'River', 'Highland', 'Willow', 'Chestnut', 'Franklin', 'Madison',
  'Jefferson', 'Lincoln', 'Harbor', 'Mesa', 'Canyon', 'Prairie', 'Meadow', 'Birch',
] as const

export const STREET_TYPES = ['ST', 'AVE', 'RD', 'LN', 'DR', 'CT', 'BLVD', 'WAY', 'PL'] as const

export const EMAIL_DOMAINS = ['example.com', 'example.org', 'example.net'] as const

export const STAFF_USERNAMES = ['dhartley', 'mnguyen2', 'kpatel', 'jrivera1', 'sgreen1', 'abrooks', 'tcohen'] as const

/** Cities near each seeded department, so addresses and area codes look local. */
export const REGIONS: Record<string, { cities: ReadonlyArray<[city: string, zip: string]>; state: string; areaCodes: readonly string[] }> = {
  MA: {
    state: 'MA',
    cities: [['BOSTON', '02110'], ['CAMBRIDGE', '02139'], ['QUINCY', '02169'], ['SOMERVILLE', '02143'], ['NEWTON', '02458']],
    areaCodes: ['617', '857', '781'],
  },
  IL: {
    state: 'IL',
    cities: [['CHICAGO', '60601'], ['EVANSTON', '60201'], ['OAK PARK', '60302'], ['CICERO', '60804']],
    areaCodes: ['312', '773', '708'],
  },
  AZ: {
    state: 'AZ',
    cities: [['PHOENIX', '85004'], ['TEMPE', '85281'], ['MESA', '85201'], ['SCOTTSDALE', '85251'], ['CHANDLER', '85225']],
    areaCodes: ['602', '480', '623'],
  },
  CA: {
    state: 'CA',
    cities: [['SAN DIEGO', '92101'], ['CHULA VISTA', '91910'], ['LA MESA', '91941'], ['EL CAJON', '92020']],
    areaCodes: ['619', '858', '760'],
  },
}
